import type { PriceRequest } from '../job.js';
import { formatMoney, type Money } from '../money.js';
import { price, type Price } from './price.js';
import type { RateCard } from './rate-card-schema.js';

export interface Estimate {
  price: Price;
  count: number;
  total: Money;
}

export interface Comparison extends Estimate {
  /** Against the first model compared: positive when this one costs more. */
  deltaPerClip: Money;
  deltaTotal: Money;
}

export function estimate(req: PriceRequest, card: RateCard, count = 1): Estimate {
  const p = price(req, card);
  return { price: p, count, total: p.cost.times(count) };
}

/** The same job on several models; deltas are against the first. */
export function compare(req: PriceRequest, models: PriceRequest['model'][], card: RateCard, count = 1): Comparison[] {
  const estimates = models.map((model) => estimate({ ...req, model, mode: undefined }, card, count));
  const first = estimates[0];
  return estimates.map((e) => ({
    ...e,
    deltaPerClip: e.price.cost.minus(first!.price.cost),
    deltaTotal: e.total.minus(first!.total),
  }));
}

/** The JSON shape of `vidgate estimate --json`: amounts as decimal strings. */
export function estimateJson(e: Estimate) {
  const p = e.price;
  return {
    rateCard: p.rateCard,
    model: p.model,
    mode: p.mode,
    resolution: p.resolution,
    audio: p.audio,
    durationSeconds: p.durationSeconds,
    billedSeconds: p.billedSeconds,
    reference: p.reference,
    basis: p.basis,
    rate: p.rate.toString(),
    baseRate: p.baseRate.toString(),
    audioDelta: p.audioDelta.toString(),
    fixedPrice: p.fixedPrice ? formatMoney(p.fixedPrice) : null,
    costPerClip: formatMoney(p.cost),
    count: e.count,
    total: formatMoney(e.total),
    currency: p.currency,
  };
}

export function comparisonJson(c: Comparison) {
  return { ...estimateJson(c), deltaPerClip: formatMoney(c.deltaPerClip), deltaTotal: formatMoney(c.deltaTotal) };
}
