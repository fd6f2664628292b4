// The pricing terms a job's claim and hold keep for reconciliation, as their short line: every
// request pricing can take reads back as itself, whatever the card's name holds.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ModelId, Mode, Orientation, Resolution } from '../../../src/catalog.js';
import { PricingTerms, readPricingTerms, writePricingTerms } from '../../../src/queue/records/admission.js';

const seconds = fc.double({ min: 0.01, max: 600, noNaN: true });
const terms = fc.record({
  card: fc.string({ minLength: 1 }),
  request: fc.record(
    {
      model: fc.constantFrom(...ModelId.options),
      mode: fc.constantFrom(...Mode.options),
      resolution: fc.constantFrom(...Resolution.options),
      audio: fc.boolean(),
      durationSeconds: seconds,
      reference: fc.record({ orientation: fc.constantFrom(...Orientation.options), videoSeconds: seconds }),
    },
    { requiredKeys: ['model', 'resolution', 'audio', 'durationSeconds'] },
  ),
});

it('every terms line reads back as the terms written', () => {
  fc.assert(
    fc.property(terms, (t) => {
      const parsed = PricingTerms.safeParse(t);
      fc.pre(parsed.success);
      expect(readPricingTerms(writePricingTerms(parsed.data))).toEqual(parsed.data);
    }),
    { numRuns: 500 },
  );
});

it('a card name with the separator in it is kept whole', () => {
  const t = { card: '/cards/a|b.yaml', request: { model: 'kling-3.0', resolution: '720p', audio: false, durationSeconds: 5 } } as const;
  expect(writePricingTerms(t)).toBe('kling-3.0||720p|0|5|||/cards/a|b.yaml');
  expect(readPricingTerms(writePricingTerms(t))).toEqual(t);
});

it('what does not read as terms is none: an older claim, a damaged line, an unknown model', () => {
  for (const text of [null, '', 'sent', 'kling-3.0|720p', 'kling-9|text-to-video|720p|0|5|||card', 'kling-3.0||720p|0|abc|||card']) expect(readPricingTerms(text)).toBeNull();
});
