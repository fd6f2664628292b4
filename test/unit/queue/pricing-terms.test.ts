// The pricing terms a job's reservation keeps for reconciliation, as their two short texts: every
// request pricing can take reads back as itself, whatever the card's name holds.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ModelId, Mode, Orientation, Resolution } from '../../../src/catalog.js';
import { PricingTerms, readPricingTerms, writePricingTerms } from '../../../src/queue/records/admission.js';

const seconds = fc.oneof(fc.double({ min: Number.MIN_VALUE, max: 1e300, noNaN: true }), fc.double({ min: 0.01, max: 30, noNaN: true }));
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
    fc.property(terms, fc.boolean(), (generated, sameSeconds) => {
      // A copy: fast-check replays its generated values while it shrinks, so they stay as made.
      const ref = generated.request.reference;
      const t = sameSeconds && ref ? { ...generated, request: { ...generated.request, reference: { ...ref, videoSeconds: generated.request.durationSeconds } } } : generated;
      const parsed = PricingTerms.safeParse(t);
      fc.pre(parsed.success);
      const texts = writePricingTerms(parsed.data);
      expect(readPricingTerms(texts)).toEqual(parsed.data);
      // The request line stays within Redis's compact hash value size, whatever its seconds, for
      // every request a job makes (a reference's seconds are the job's own: checkJob in src/job.ts).
      const kept = parsed.data.request.reference;
      if (!kept || kept.videoSeconds === parsed.data.request.durationSeconds) expect(texts[0].length).toBeLessThanOrEqual(64);
    }),
    { numRuns: 2000 },
  );
});

it("a card's name is kept whole; a stored card's ref in 44 characters, so both texts stay within a compact hash value", () => {
  const request = { model: 'kling-motion-control', mode: 'motion-control', resolution: '1080p', audio: true, durationSeconds: 30, reference: { orientation: 'video', videoSeconds: 30 } } as const;
  const path = { card: '/cards/a|b.yaml', request };
  expect(writePricingTerms(path)).toEqual(['mc|m|1080p|1|30|video|', '/cards/a|b.yaml']);
  expect(readPricingTerms(writePricingTerms(path))).toEqual(path);
  const stored = { card: `sha256:${'0123456789abcdef'.repeat(4)}`, request };
  const texts = writePricingTerms(stored);
  expect(texts.map((t) => t.length <= 64)).toEqual([true, true]);
  expect(readPricingTerms(texts)).toEqual(stored);
});

it('what does not read as terms is none: none kept, a damaged line, an unknown model', () => {
  const card = 'hf-forum-2026-04';
  expect(readPricingTerms(['3|t|720p|0|5||', card])).toMatchObject({ request: { model: 'kling-3.0', mode: 'text-to-video' } });
  expect(readPricingTerms(['kling-3.0|text-to-video|720p|0|5||', card])).toMatchObject({ request: { model: 'kling-3.0', mode: 'text-to-video' } });
  for (const line of ['', '3|720p', 'kling-9|t|720p|0|5||', '3||720p|0|abc||', '3||720p|0|5|||extra']) expect(readPricingTerms([line, card])).toBeNull();
  expect(readPricingTerms(null)).toBeNull();
});
