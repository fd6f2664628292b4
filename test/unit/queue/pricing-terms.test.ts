// The pricing terms a job's reservation keeps for reconciliation, as their two short texts: every
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

it("a card's name is kept whole; a stored card's ref in 44 characters, so both texts stay within a compact hash value", () => {
  const request = { model: 'kling-motion-control', mode: 'motion-control', resolution: '1080p', audio: true, durationSeconds: 30, reference: { orientation: 'video', videoSeconds: 30 } } as const;
  const path = { card: '/cards/a|b.yaml', request };
  expect(writePricingTerms(path)).toEqual(['kling-motion-control|motion-control|1080p|1|30|video|30', '/cards/a|b.yaml']);
  expect(readPricingTerms(writePricingTerms(path))).toEqual(path);
  const stored = { card: `sha256:${'0123456789abcdef'.repeat(4)}`, request };
  const texts = writePricingTerms(stored);
  expect(texts.map((t) => t.length <= 64)).toEqual([true, true]);
  expect(readPricingTerms(texts)).toEqual(stored);
});

it('what does not read as terms is none: none kept, a damaged line, an unknown model', () => {
  const card = 'hf-forum-2026-04';
  for (const line of ['', 'kling-3.0|720p', 'kling-9|text-to-video|720p|0|5||', 'kling-3.0||720p|0|abc||', 'kling-3.0||720p|0|5|||extra']) expect(readPricingTerms([line, card])).toBeNull();
  expect(readPricingTerms(null)).toBeNull();
});
