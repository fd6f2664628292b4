import { z } from 'zod';
import { ModelId, Mode, Orientation, Resolution } from '../catalog.js';

/** Money in data files is a decimal string, never a JSON number (which would be a float). */
export const MoneyText = z
  .string()
  .regex(/^(0|[1-9]\d*)(\.\d{1,6})?$/, 'expected a decimal string with at most 6 decimals, like "0.075"');

const Seconds = z.number().int().positive();

const PerSecondPricing = z.strictObject({
  kind: z.literal('per-second'),
  /** Per resolution: the silent rate and, where the product offers audio, the rate with audio. */
  rates: z.partialRecord(Resolution, z.strictObject({ silent: MoneyText, audio: MoneyText.optional() })),
});

const FixedPricing = z.strictObject({
  kind: z.literal('fixed'),
  /** The resolutions this fixed price applies to (the product has no resolution option). */
  resolutions: z.array(Resolution).min(1),
  prices: z.array(z.strictObject({ seconds: Seconds, price: MoneyText })).min(1),
});

const DurationRule = z
  .strictObject({
    min: Seconds.optional(),
    max: Seconds.optional(),
    /** Only these billed durations are offered (e.g. O1: 5 or 10). */
    allowed: z.array(Seconds).min(1).optional(),
    /**
     * Products priced on a reference video (Motion Control): the longest reference video each
     * character orientation takes. The video's length is the output's, and what is billed.
     */
    byOrientation: z.partialRecord(Orientation, z.strictObject({ max: Seconds })).optional(),
  }, {
    // Cards written before orientations named the reference's kind; say what replaced it.
    error: (iss) =>
      iss.code === 'unrecognized_keys' && iss.keys.includes('byReference')
        ? 'byReference is gone: Motion Control is bounded by character orientation, write byOrientation: { image: { max: 10 }, video: { max: 30 } }'
        : undefined,
  })
  .refine((d) => d.min === undefined || d.max === undefined || d.min <= d.max, 'min must not exceed max');

export const Product = z.strictObject({
  model: ModelId,
  mode: Mode,
  duration: DurationRule,
  pricing: z.discriminatedUnion('kind', [PerSecondPricing, FixedPricing]),
});
export type Product = z.infer<typeof Product>;

export const RateCard = z
  .strictObject({
    $schema: z.string().optional(),
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lowercase letters, digits, "." and "-"'),
    source: z.string().min(1),
    /** What the card's maker decided where the source is silent or ambiguous, and why. */
    notes: z.array(z.string().min(1)).optional(),
    effectiveDate: z.iso.date(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "USD"'),
    billing: z.strictObject({
      unit: z.literal('second'),
      rounding: z.literal('nearest-half-up'),
    }),
    products: z.array(Product).min(1),
  })
  .superRefine((card, ctx) => {
    const seen = new Set<string>();
    card.products.forEach((p, i) => {
      const key = `${p.model} ${p.mode}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['products', i], message: `${key} is priced twice` });
      seen.add(key);
      if (p.pricing.kind === 'per-second' && Object.keys(p.pricing.rates).length === 0) {
        ctx.addIssue({ code: 'custom', path: ['products', i, 'pricing', 'rates'], message: 'prices no resolution' });
      }
    });
  });
export type RateCard = z.infer<typeof RateCard>;
