import { z } from 'zod';
import { parseOrThrow } from '../validation.js';
import { micros, ppm } from './codec.js';
import { Candidate, ReserveInput } from './schema.js';

type ParsedCandidate = z.output<typeof Candidate>;

/**
 * Every EncodedCandidate this module made, from a validated candidate. reserve.lua trusts its
 * arguments, so the ledger takes only these: an object made otherwise (on the class's prototype,
 * by another copy of the module) is refused, never reserved unchecked.
 */
const issued = new WeakSet<object>();
const isIssued = (c: unknown): c is EncodedCandidate => typeof c === 'object' && c !== null && issued.has(c);

/**
 * A reservation candidate validated and put in reserve.lua's terms (see its header) once. The
 * router offers the same few candidates (one ladder plan per shape of job) to every reservation:
 * validating and encoding them again per job was about 10 µs of each (zod on Decimals and the
 * history's savings), and their garbage. Immutable, so one can be shared by any number of reservations.
 */
export class EncodedCandidate {
  /** The cost in micro-units, rounded up: rounding never admits more than was priced. */
  readonly cost: string;
  /** The ceiling in parts per million of a limit. */
  readonly ceiling: number;
  /** The history tag: "model|estimate µ|1 or 0|rule=µ;rule=µ" (names hold none of "|;="), or "". */
  readonly tag: string;

  /** Only from a validated candidate (the schema's output): `of` validates one first. */
  private constructor(c: ParsedCandidate) {
    this.cost = micros.encode(c.cost, 'up');
    this.ceiling = ppm.encode(c.ceiling);
    this.tag = historyTag(c.history);
    Object.freeze(this);
    issued.add(this);
  }

  /** Validates a candidate (an InputError names what is wrong) and encodes it. */
  static of(input: z.input<typeof Candidate>): EncodedCandidate {
    return new EncodedCandidate(parseOrThrow(Candidate, input, 'candidate'));
  }

  /** @internal A candidate the ledger's own schema has validated already. */
  static fromParsed(c: ParsedCandidate): EncodedCandidate {
    return new EncodedCandidate(c);
  }
}

function historyTag(tag: ParsedCandidate['history']): string {
  if (!tag) return '';
  const savings = tag.savings.map((s) => `${s.rule}=${micros.encode(s.amount)}`).join(';');
  return `${tag.model}|${micros.encode(tag.estimate)}|${tag.downgraded ? 1 : 0}|${savings}`;
}

/** A reservation whose candidates are encoded already: only its own fields are validated per call. */
export const EncodedReserveInput = ReserveInput.extend({
  candidates: z.array(z.custom<EncodedCandidate>(isIssued, 'an encoded candidate made by EncodedCandidate.of')).min(1, 'give at least one candidate'),
});
export type EncodedReserveInput = z.input<typeof EncodedReserveInput>;
/** A validated reservation as reserve.lua's call is built from it. */
export type EncodedReservation = z.output<typeof EncodedReserveInput>;

/** Validates a reservation of either kind; plain candidates are encoded here, per call. */
export function parseReservation(input: z.input<typeof ReserveInput> | EncodedReserveInput): EncodedReservation {
  const candidates: unknown = input.candidates;
  // All made by EncodedCandidate.of, or none: a mix (or a look-alike) is refused by the encoded schema.
  if (Array.isArray(candidates) && candidates.some((c) => c instanceof EncodedCandidate || isIssued(c))) {
    return parseOrThrow(EncodedReserveInput, input, 'reservation');
  }
  const r = parseOrThrow(ReserveInput, input, 'reservation');
  return { ...r, candidates: r.candidates.map((c) => EncodedCandidate.fromParsed(c)) };
}
