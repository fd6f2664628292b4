import { z } from 'zod';
import { ModelId } from '../../catalog.js';
import { Job, PriceRequest, priceRequestOf } from '../../job.js';
import { AmountText } from './money-text.js';

/** Which models an admitted job may move to when its own is unavailable. */
export const FallbackDirection = z.enum(['none', 'cheaper', 'any']);

/**
 * What the router admitted, at what reservation, under which policy version: the generate
 * queue's job data. The request as submitted stays the intake job's data.
 */
export const Admission = z.object({
  /** The internal job id, which is also the reservation id. */
  id: z.string(),
  /** The admitted variant. */
  variant: Job,
  /** The card the estimate came from, as `loadRateCard` takes it (a built-in id or an absolute path). */
  rateCard: z.string(),
  policyVersion: z.string().nullable().default(null),
  estimatedCost: AmountText,
  reserved: AmountText,
  fallbacks: z.array(z.object({ model: ModelId, cost: AmountText })),
  /** The policy's fallback direction; only `any` may cost more than what was reserved (a top-up). */
  fallbackDirection: FallbackDirection,
});
export type Admission = z.infer<typeof Admission>;

/** How far the generator got, saved as it goes so a retried or re-delivered job resumes. */
export const Progress = z.object({
  /** The task being followed: its provider id and route once the provider accepted it. */
  current: z.object({ model: ModelId, externalId: z.string(), taskId: z.string().optional(), route: z.string().optional() }).optional(),
  tried: z.array(ModelId).optional(),
  slotWaitMs: z.number().optional(),
});

/** The generate queue's job data: the admission and the generator's progress on it. */
export const GenerateData = Admission.extend(Progress.shape);
export type GenerateData = z.infer<typeof GenerateData>;

/**
 * What prices a job's tasks once its generate job is gone: the card its admission names and the
 * admitted request (a task's own model replaces the request's). The generator keeps them with the
 * job's reservation just before its first send (Ledger.extend), for reconciliation.
 */
export const PricingTerms = z.object({ card: z.string(), request: PriceRequest });
export type PricingTerms = z.infer<typeof PricingTerms>;

export const pricingTermsOf = (a: Pick<Admission, 'rateCard' | 'variant'>): PricingTerms => ({ card: a.rateCard, request: priceRequestOf(a.variant) });

/**
 * A stored card's ref (`sha256:` and 64 hex digits) is kept as `#` and its digest in base64url: 44
 * characters, not 71. Any other card starting with `#` gets one more in front.
 */
const STORED_REF = /^sha256:([0-9a-f]{64})$/;

/**
 * Short codes for the catalog's names in the request line. A name without a code (a model added
 * later) is written whole, and reads back as itself. Codes never change meaning: records keep them.
 */
const CODES = new Map<string, string>([
  ['kling-3.0', '3'],
  ['kling-o3', 'o3'],
  ['kling-o1', 'o1'],
  ['kling-motion-control', 'mc'],
  ['text-to-video', 't'],
  ['image-to-video', 'i'],
  ['motion-control', 'm'],
]);
const NAMES = new Map([...CODES].map(([name, code]) => [code, name]));
const code = (name: string) => CODES.get(name) ?? name;
const nameOf = (text: string) => NAMES.get(text) ?? text;

/**
 * Terms as the reservation record keeps them: two texts, which every job that reaches the provider
 * keeps for days, so bytes count: each stays within Redis's compact hash value size (64 bytes;
 * the request line at most about 45, a built-in or stored card's ref at most 44). The request is
 * "<model>|<mode>|<resolution>|<audio 1/0>|<seconds>|<reference orientation>|<reference seconds>",
 * the names as short codes, empty where unset and the reference's seconds where they are the
 * job's own (Motion Control's always are); then the card.
 */
export function writePricingTerms({ card, request: r }: PricingTerms): [string, string] {
  const ref = r.reference;
  const line = [code(r.model), r.mode ? code(r.mode) : '', r.resolution, r.audio ? '1' : '0', String(r.durationSeconds), ref?.orientation ?? '', ref && ref.videoSeconds !== r.durationSeconds ? String(ref.videoSeconds) : ''].join('|');
  const stored = STORED_REF.exec(card);
  return [line, stored ? `#${Buffer.from(stored[1]!, 'hex').toString('base64url')}` : card.startsWith('#') ? `#${card}` : card];
}

/** Terms from their texts, or null when they do not read as terms. */
export function readPricingTerms(texts: readonly [string, string] | null | undefined): PricingTerms | null {
  if (!texts) return null;
  const [line, cardText] = texts;
  const f = line.split('|');
  if (f.length !== 7) return null;
  const [model, mode, resolution, audio, seconds, orientation, videoSeconds] = f as [string, string, string, string, string, string, string];
  const request = {
    model: nameOf(model),
    ...(mode ? { mode: nameOf(mode) } : {}),
    resolution,
    audio: audio === '1',
    durationSeconds: Number(seconds),
    ...(orientation ? { reference: { orientation, videoSeconds: Number(videoSeconds || seconds) } } : {}),
  };
  const card = cardText.startsWith('##') ? cardText.slice(1) : cardText.startsWith('#') ? `sha256:${Buffer.from(cardText.slice(1), 'base64url').toString('hex')}` : cardText;
  const parsed = PricingTerms.safeParse({ card, request });
  return parsed.success ? parsed.data : null;
}
