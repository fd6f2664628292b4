import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelId } from '../../../src/catalog.js';
import { fromMicros, money, toMicros } from '../../../src/money.js';
import { estimate } from '../../../src/pricing/estimate.js';
import { price } from '../../../src/pricing/price.js';
import { builtInRateCards } from '../../../src/pricing/rate-cards.js';

const perSecondModels = fc.constantFrom<ModelId>('kling-3.0', 'kling-o3');
const cards = fc.constantFrom(...builtInRateCards());
const duration = fc.double({ min: 2.5, max: 15.49, noNaN: true });

describe('pricing properties', () => {
  it('cost never falls as duration grows', () => {
    fc.assert(
      fc.property(perSecondModels, fc.boolean(), duration, duration, (model, audio, d1, d2) => {
        const card = builtInRateCards()[0]!;
        const [lo, hi] = d1 <= d2 ? [d1, d2] : [d2, d1];
        const a = price({ model, resolution: '720p', audio, durationSeconds: lo }, card);
        const b = price({ model, resolution: '720p', audio, durationSeconds: hi }, card);
        expect(b.cost.greaterThanOrEqualTo(a.cost)).toBe(true);
      }),
    );
  });

  it('1080p costs more than 720p, and audio more than silent, on every card that prices both', () => {
    fc.assert(
      fc.property(cards, fc.integer({ min: 3, max: 15 }), (card, seconds) => {
        for (const product of card.products) {
          if (product.pricing.kind !== 'per-second') continue;
          const durationSeconds = Math.min(seconds, 10);
          const reference = product.duration.byOrientation ? { orientation: 'video' as const, videoSeconds: durationSeconds } : undefined;
          const req = { model: product.model, mode: product.mode, durationSeconds, reference };
          if (product.duration.allowed && !product.duration.allowed.includes(req.durationSeconds)) continue;
          const silent720 = price({ ...req, resolution: '720p', audio: false }, card).cost;
          const silent1080 = price({ ...req, resolution: '1080p', audio: false }, card).cost;
          expect(silent1080.greaterThan(silent720)).toBe(true);
          if (product.pricing.rates['720p']?.audio) {
            expect(price({ ...req, resolution: '720p', audio: true }, card).cost.greaterThan(silent720)).toBe(true);
          }
        }
      }),
    );
  });

  it('Motion Control is priced on its reference video: rate × its rounded seconds, within its orientation or refused', () => {
    fc.assert(
      fc.property(cards, fc.constantFrom('image' as const, 'video' as const), fc.double({ min: 0.5, max: 35, noNaN: true }), (card, orientation, videoSeconds) => {
        const req = { model: 'kling-motion-control' as const, resolution: '720p' as const, audio: false, durationSeconds: videoSeconds, reference: { orientation, videoSeconds } };
        const max = orientation === 'image' ? 10 : 30;
        if (videoSeconds > max) {
          expect(() => price(req, card)).toThrow(`with orientation ${orientation} takes a reference video up to ${max} seconds`);
          return;
        }
        const p = price(req, card);
        expect(p.billedSeconds).toBe(Math.floor(videoSeconds + 0.5));
        expect(p.cost.equals(p.rate.times(p.billedSeconds))).toBe(true);
        expect(p.reference).toEqual({ orientation, videoSeconds });
      }),
    );
  });

  it('the total is linear in count', () => {
    fc.assert(
      fc.property(perSecondModels, fc.integer({ min: 3, max: 15 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 1000 }), (model, s, n, m) => {
        const req = { model, resolution: '1080p' as const, audio: true, durationSeconds: s };
        const card = builtInRateCards()[0]!;
        const sum = estimate(req, card, n).total.plus(estimate(req, card, m).total);
        expect(estimate(req, card, n + m).total.equals(sum)).toBe(true);
        expect(estimate(req, card, n).total.equals(estimate(req, card, 1).total.times(n))).toBe(true);
      }),
    );
  });

  it('integer micro-unit arithmetic equals the Decimal result', () => {
    fc.assert(
      fc.property(cards, perSecondModels, fc.boolean(), fc.integer({ min: 3, max: 15 }), fc.integer({ min: 1, max: 10_000 }), (card, model, audio, s, count) => {
        if (!card.products.some((p) => p.model === model)) return;
        const p = price({ model, resolution: '1080p', audio, durationSeconds: s }, card);
        const micros = BigInt(toMicros(p.rate)) * BigInt(p.billedSeconds) * BigInt(count);
        expect(micros.toString()).toBe(toMicros(p.cost.times(count)));
        expect(fromMicros(micros).equals(p.cost.times(count))).toBe(true);
      }),
    );
  });

  it('micro-units round-trip any amount with at most 6 decimals', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (micros) => {
        expect(toMicros(fromMicros(micros))).toBe(micros.toString());
        expect(fromMicros(micros).times(1_000_000).equals(money(micros.toString()))).toBe(true);
      }),
    );
  });
});

describe('microsToMoneyText', () => {
  it('equals formatMoney(fromMicros(x)) for every integer', async () => {
    const { formatMoney, microsToMoneyText } = await import('../../../src/money.js');
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), (micros) => {
        expect(microsToMoneyText(micros.toString())).toBe(formatMoney(fromMicros(micros)));
      }),
    );
  });
});
