import type { Mode, ModelId, Resolution } from '../catalog.js';
import { PricingError } from '../errors.js';
import type { PriceRequest, Reference } from '../job.js';
import { Money } from '../money.js';
import type { Product, RateCard } from './rate-card-schema.js';

export interface Price {
  rateCard: string;
  currency: string;
  model: ModelId;
  mode: Mode;
  resolution: Resolution;
  audio: boolean;
  /** Output seconds; for Motion Control, its reference video's. */
  durationSeconds: number;
  billedSeconds: number;
  /** Motion Control's reference video (null for every other product). */
  reference: Reference | null;
  basis: 'per-second' | 'fixed';
  /** Per billed second: the card's rate, or for a fixed price the price divided by its seconds. */
  rate: Money;
  /** The silent rate, and what audio adds to it (zero when silent). */
  baseRate: Money;
  audioDelta: Money;
  /** The fixed price of the clip, for fixed-price products. */
  fixedPrice: Money | null;
  cost: Money;
}

/** Output seconds as billed: nearest integer, x.5 rounds up. */
export function billedSecondsOf(durationSeconds: number): number {
  return new Money(durationSeconds).toDecimalPlaces(0, Money.ROUND_HALF_UP).toNumber();
}

export function modesOf(card: RateCard, model: ModelId): Mode[] {
  return card.products.filter((p) => p.model === model).map((p) => p.mode);
}

export function findProduct(card: RateCard, model: ModelId, mode: Mode | undefined): Product {
  const modes = modesOf(card, model);
  if (modes.length === 0) {
    const models = [...new Set(card.products.map((p) => p.model))].join(', ');
    throw new PricingError(`rate card ${card.id} does not price ${model}; it prices ${models}`, {
      where: 'model',
      allowed: models,
    });
  }
  const chosen = mode ?? (modes.length === 1 ? modes[0] : undefined);
  if (!chosen) {
    throw new PricingError(`${model} has several modes in rate card ${card.id}: name one of ${modes.join(', ')}`, {
      where: 'mode',
      allowed: modes.join(', '),
    });
  }
  const product = card.products.find((p) => p.model === model && p.mode === chosen);
  if (!product) {
    // Kling may well run the mode: it is the card that has no figure for it.
    throw new PricingError(`rate card ${card.id} does not price ${model} ${chosen}: it prices ${model} only as ${orList(modes)}`, {
      where: 'mode',
      allowed: modes.join(', '),
    });
  }
  return product;
}

function orList(values: readonly (string | number)[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

function got(durationSeconds: number, billed: number): string {
  return billed === durationSeconds ? `got ${durationSeconds}` : `got ${durationSeconds} (billed as ${billed})`;
}

/** The range a product takes, once any reference has narrowed it. */
function checkRange(label: string, req: PriceRequest, billed: number, min: number, max: number | undefined, context = ''): void {
  if (billed < min || (max !== undefined && billed > max)) {
    const range = max === undefined ? `at least ${min}` : `${min} to ${max}`;
    throw new PricingError(`${label}${context} takes ${range} seconds, ${got(req.durationSeconds, billed)}`, {
      where: 'durationSeconds',
      allowed: range,
    });
  }
}

/**
 * Motion Control: the reference video sets the output and the bill, its orientation bounds it.
 * A request without one, or whose duration bills other seconds than the video, is refused.
 */
function checkReference(label: string, rule: Product['duration'], req: PriceRequest, billed: number): void {
  const byOrientation = rule.byOrientation!;
  const offered = Object.entries(byOrientation).map(([o, v]) => `${o}: up to ${v.max} s`).join(', ');
  const ref = req.reference;
  if (!ref) {
    throw new PricingError(`${label} is priced on its reference video: give reference { orientation, videoSeconds } (${offered})`, {
      where: 'reference',
      allowed: offered,
    });
  }
  const bound = byOrientation[ref.orientation];
  if (!bound) {
    throw new PricingError(`${label} is not priced with orientation ${ref.orientation}; the card prices ${offered}`, { where: 'reference.orientation', allowed: offered });
  }
  const max = rule.max === undefined ? bound.max : Math.min(rule.max, bound.max);
  if (ref.videoSeconds > max) {
    throw new PricingError(`${label} with orientation ${ref.orientation} takes a reference video up to ${max} seconds, got ${ref.videoSeconds}`, {
      where: 'reference.videoSeconds',
      allowed: `up to ${max}`,
    });
  }
  const videoBilled = billedSecondsOf(ref.videoSeconds);
  if (billed !== videoBilled) {
    throw new PricingError(`${label} runs and bills as long as its reference video (${ref.videoSeconds} s): the reference sets the length, got ${req.durationSeconds}`, {
      where: 'durationSeconds',
      allowed: `${ref.videoSeconds} (reference.videoSeconds)`,
    });
  }
  checkRange(label, req, billed, rule.min ?? 1, max, ` with orientation ${ref.orientation}`);
}

function checkDuration(product: Product, req: PriceRequest, billed: number): void {
  const label = `${product.model} ${product.mode}`;
  if (!Number.isFinite(req.durationSeconds) || req.durationSeconds <= 0) {
    throw new PricingError(`${label} takes a positive number of seconds, got ${req.durationSeconds}`, { where: 'durationSeconds', allowed: 'a positive number' });
  }
  const rule = product.duration;
  if (rule.byOrientation) return checkReference(label, rule, req, billed);
  if (req.reference) {
    throw new PricingError(`${label} takes no reference: only Motion Control is priced on a reference video`, { where: 'reference', allowed: 'none' });
  }
  const allowed = product.pricing.kind === 'fixed' ? product.pricing.prices.map((p) => p.seconds) : rule.allowed;
  if (allowed && !allowed.includes(billed)) {
    throw new PricingError(`${label} takes ${orList(allowed)} seconds, ${got(req.durationSeconds, billed)}`, {
      where: 'durationSeconds',
      allowed: orList(allowed),
    });
  }
  checkRange(label, req, billed, rule.min ?? 1, rule.max);
}

/**
 * Prices one clip exactly. Every combination the card does not price is an error: nothing is
 * priced from a guess, and nothing unpriced costs 0.
 */
export function price(req: PriceRequest, card: RateCard): Price {
  const product = findProduct(card, req.model, req.mode);
  const label = `${product.model} ${product.mode}`;
  const billedSeconds = billedSecondsOf(req.durationSeconds);
  checkDuration(product, req, billedSeconds);
  const base = {
    rateCard: card.id,
    currency: card.currency,
    model: product.model,
    mode: product.mode,
    resolution: req.resolution,
    audio: req.audio,
    durationSeconds: req.durationSeconds,
    billedSeconds,
    reference: product.duration.byOrientation && req.reference ? { ...req.reference } : null,
  };
  const pricing = product.pricing;

  if (pricing.kind === 'fixed') {
    if (!pricing.resolutions.includes(req.resolution)) {
      throw new PricingError(
        `${label} is not offered at ${req.resolution} by rate card ${card.id}; allowed: ${pricing.resolutions.join(', ')}`,
        { where: 'resolution', allowed: pricing.resolutions.join(', ') },
      );
    }
    if (req.audio) {
      throw new PricingError(`${label} has no audio option in rate card ${card.id}; request it silent`, {
        where: 'audio',
        allowed: 'none',
      });
    }
    // checkDuration guarantees a matching entry.
    const fixed = new Money(pricing.prices.find((p) => p.seconds === billedSeconds)!.price);
    const rate = fixed.dividedBy(billedSeconds);
    return { ...base, basis: 'fixed', rate, baseRate: rate, audioDelta: new Money(0), fixedPrice: fixed, cost: fixed };
  }

  const rates = pricing.rates[req.resolution];
  if (!rates) {
    const allowed = Object.keys(pricing.rates).join(', ');
    throw new PricingError(`${label} is not priced at ${req.resolution} by rate card ${card.id}; allowed: ${allowed}`, {
      where: 'resolution',
      allowed,
    });
  }
  if (req.audio && rates.audio === undefined) {
    throw new PricingError(
      `${label} at ${req.resolution} has no audio option in rate card ${card.id}; request it silent`,
      { where: 'audio', allowed: 'none' },
    );
  }
  const baseRate = new Money(rates.silent);
  const rate = req.audio ? new Money(rates.audio!) : baseRate;
  return {
    ...base,
    basis: 'per-second',
    rate,
    baseRate,
    audioDelta: rate.minus(baseRate),
    fixedPrice: null,
    cost: rate.times(billedSeconds),
  };
}

/** Can this card price the request at all? (Used to filter ladder variants and fallbacks.) */
export function tryPrice(req: PriceRequest, card: RateCard): Price | null {
  try {
    return price(req, card);
  } catch (err) {
    if (err instanceof PricingError) return null;
    throw err;
  }
}
