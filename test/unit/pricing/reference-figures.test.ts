// Every figure of shared/reference/kling-pricing-analysis.md, reproduced from the code.
import { describe, expect, it } from 'vitest';
import type { ModelId, Resolution } from '../../../src/catalog.js';
import { money } from '../../../src/money.js';
import { compare, estimate } from '../../../src/pricing/estimate.js';
import { price } from '../../../src/pricing/price.js';
import { loadRateCard } from '../../../src/pricing/rate-cards.js';

const card = loadRateCard('hf-forum-2026-04');
const t2v = (model: ModelId, resolution: Resolution, audio: boolean, durationSeconds = 10) =>
  price({ model, resolution, audio, durationSeconds }, card);
const pct = (part: ReturnType<typeof money>, whole: ReturnType<typeof money>) =>
  part.dividedBy(whole).times(100).toDecimalPlaces(0).toNumber();

describe('rate tables', () => {
  it.each([
    ['kling-3.0', '720p', '0.075', '0.113', '0.038', 51],
    ['kling-3.0', '1080p', '0.1', '0.15', '0.05', 50],
    ['kling-o3', '720p', '0.075', '0.1', '0.025', 33],
    ['kling-o3', '1080p', '0.1', '0.125', '0.025', 25],
  ] as const)('%s %s: silent %s, audio %s, delta +%s (+%i%%)', (model, res, silent, audio, delta, percent) => {
    const s = t2v(model, res, false);
    const a = t2v(model, res, true);
    expect(s.rate.toString()).toBe(silent);
    expect(a.rate.toString()).toBe(audio);
    expect(a.baseRate.toString()).toBe(silent);
    expect(a.audioDelta.toString()).toBe(delta);
    expect(s.audioDelta.isZero()).toBe(true);
    expect(pct(a.audioDelta, a.baseRate)).toBe(percent);
  });

  it.each([
    [5, '0.556'],
    [10, '1.111'],
  ])('kling-o1 image-to-video %i s costs %s, $0.111/s', (seconds, cost) => {
    const p = price({ model: 'kling-o1', resolution: '1080p', audio: false, durationSeconds: seconds }, card);
    expect(p.basis).toBe('fixed');
    expect(p.mode).toBe('image-to-video');
    expect(p.cost.toString()).toBe(cost);
    expect(p.rate.toDecimalPlaces(3).toString()).toBe('0.111');
  });

  it.each([
    ['720p', '0.113'],
    ['1080p', '0.151'],
  ] as const)('motion control %s at %s/s', (resolution, rate) => {
    const p = price({ model: 'kling-motion-control', resolution, audio: false, durationSeconds: 10, reference: { orientation: 'image', videoSeconds: 10 } }, card);
    expect(p.rate.toString()).toBe(rate);
  });

  it('the maximum single motion-control generation costs 4.53 (30 s reference video, orientation video, 1080p)', () => {
    const p = price({ model: 'kling-motion-control', resolution: '1080p', audio: false, durationSeconds: 30, reference: { orientation: 'video', videoSeconds: 30 } }, card);
    expect(p.cost.toFixed(2)).toBe('4.53');
    expect(p.billedSeconds).toBe(30);
  });
});

describe('model differentiation', () => {
  it('at 720p silent O3 equals 3.0', () => {
    expect(t2v('kling-o3', '720p', false).rate.equals(t2v('kling-3.0', '720p', false).rate)).toBe(true);
  });
  it('at 1080p with audio 3.0 costs 20% more than O3', () => {
    const o3 = t2v('kling-o3', '1080p', true).rate;
    const v3 = t2v('kling-3.0', '1080p', true).rate;
    expect(pct(v3.minus(o3), o3)).toBe(20);
  });
  it('720p to 1080p adds 25% to 33% per second', () => {
    const ups = (['kling-3.0', 'kling-o3'] as const).flatMap((m) =>
      [false, true].map((audio) => pct(t2v(m, '1080p', audio).rate.minus(t2v(m, '720p', audio).rate), t2v(m, '720p', audio).rate)),
    );
    expect(Math.min(...ups)).toBe(25);
    expect(Math.max(...ups)).toBe(33);
  });
  it('the tables beat the prose: O1 at 0.111/s costs more per second than O3 at 720p silent, not less', () => {
    const o1 = price({ model: 'kling-o1', resolution: '720p', audio: false, durationSeconds: 10 }, card).rate;
    const o3 = t2v('kling-o3', '720p', false).rate;
    expect(o1.greaterThan(o3)).toBe(true);
    expect(pct(o1.minus(o3), o3)).toBe(48);
  });
});

describe('volume tables', () => {
  it.each([
    [100, '125.00', '150.00', '25.00'],
    [500, '625.00', '750.00', '125.00'],
    [1000, '1250.00', '1500.00', '250.00'],
  ])('%i ten-second 1080p clips with audio: O3 %s, 3.0 %s, delta %s', (count, o3, v3, delta) => {
    const [a, b] = compare({ model: 'kling-o3', resolution: '1080p', audio: true, durationSeconds: 10 }, ['kling-o3', 'kling-3.0'], card, count);
    expect(a!.total.toFixed(2)).toBe(o3);
    expect(b!.total.toFixed(2)).toBe(v3);
    expect(b!.deltaTotal.toFixed(2)).toBe(delta);
  });

  it.each([
    [100, '111.10'],
    [500, '555.50'],
    [1000, '1111.00'],
  ])('%i ten-second O1 clips cost %s', (count, total) => {
    const e = estimate({ model: 'kling-o1', resolution: '1080p', audio: false, durationSeconds: 10 }, card, count);
    expect(e.total.toFixed(2)).toBe(total);
  });
});

describe('duration rules and billing', () => {
  it.each([
    [4.5, 5],
    [4.49, 4],
    [10.5, 11],
    [5.041, 5],
  ])('%d s is billed as %i s', (duration, billed) => {
    expect(t2v('kling-3.0', '720p', false, duration).billedSeconds).toBe(billed);
  });

  it.each([
    [{ model: 'kling-3.0', resolution: '720p', audio: false, durationSeconds: 2 }, 'kling-3.0 text-to-video takes 3 to 15 seconds, got 2'],
    [{ model: 'kling-o3', resolution: '720p', audio: false, durationSeconds: 15.5 }, 'kling-o3 text-to-video takes 3 to 15 seconds, got 15.5 (billed as 16)'],
    [{ model: 'kling-o1', resolution: '720p', audio: false, durationSeconds: 7 }, 'kling-o1 image-to-video takes 5 or 10 seconds, got 7'],
    [{ model: 'kling-3.0', resolution: '720p', audio: false, durationSeconds: Number.NaN }, 'kling-3.0 text-to-video takes a positive number of seconds, got NaN'],
    [{ model: 'kling-o1', resolution: '720p', audio: false, durationSeconds: -5 }, 'kling-o1 image-to-video takes a positive number of seconds, got -5'],
    [{ model: 'kling-o1', resolution: '720p', audio: true, durationSeconds: 5 }, 'kling-o1 image-to-video has no audio option in rate card hf-forum-2026-04; request it silent'],
    [{ model: 'kling-3.0', resolution: '4k', audio: false, durationSeconds: 5 }, 'kling-3.0 text-to-video is not priced at 4k by rate card hf-forum-2026-04; allowed: 720p, 1080p'],
    [{ model: 'kling-motion-control', resolution: '720p', audio: false, durationSeconds: 5 }, 'kling-motion-control motion-control is priced on its reference video: give reference { orientation, videoSeconds } (image: up to 10 s, video: up to 30 s)'],
    [{ model: 'kling-motion-control', resolution: '720p', audio: false, durationSeconds: 12, reference: { orientation: 'image', videoSeconds: 12 } }, 'kling-motion-control motion-control with orientation image takes a reference video up to 10 seconds, got 12'],
    [{ model: 'kling-motion-control', resolution: '720p', audio: false, durationSeconds: 10.2, reference: { orientation: 'image', videoSeconds: 10.2 } }, 'kling-motion-control motion-control with orientation image takes a reference video up to 10 seconds, got 10.2'],
    [{ model: 'kling-motion-control', resolution: '720p', audio: false, durationSeconds: 31, reference: { orientation: 'video', videoSeconds: 31 } }, 'kling-motion-control motion-control with orientation video takes a reference video up to 30 seconds, got 31'],
    [{ model: 'kling-motion-control', resolution: '720p', audio: false, durationSeconds: 0.4, reference: { orientation: 'video', videoSeconds: 0.4 } }, 'kling-motion-control motion-control with orientation video takes 1 to 30 seconds, got 0.4 (billed as 0)'],
    [{ model: 'kling-motion-control', resolution: '720p', audio: false, durationSeconds: 10, reference: { orientation: 'video', videoSeconds: 12 } }, 'kling-motion-control motion-control runs and bills as long as its reference video (12 s): the reference sets the length, got 10'],
    [{ model: 'kling-motion-control', resolution: '720p', audio: true, durationSeconds: 5, reference: { orientation: 'video', videoSeconds: 5 } }, 'kling-motion-control motion-control at 720p has no audio option in rate card hf-forum-2026-04; request it silent'],
    [{ model: 'kling-3.0', resolution: '720p', audio: false, durationSeconds: 5, reference: { orientation: 'video', videoSeconds: 5 } }, 'kling-3.0 text-to-video takes no reference: only Motion Control is priced on a reference video'],
    [{ model: 'kling-o1', mode: 'text-to-video', resolution: '720p', audio: false, durationSeconds: 5 }, 'rate card hf-forum-2026-04 does not price kling-o1 text-to-video: it prices kling-o1 only as image-to-video'],
    [{ model: 'kling-o3', mode: 'image-to-video', resolution: '720p', audio: false, durationSeconds: 5 }, 'rate card hf-forum-2026-04 does not price kling-o3 image-to-video: it prices kling-o3 only as text-to-video'],
    [{ model: 'kling-3.0', mode: 'image-to-video', resolution: '720p', audio: false, durationSeconds: 5 }, 'rate card hf-forum-2026-04 does not price kling-3.0 image-to-video: it prices kling-3.0 only as text-to-video'],
  ] as const)('rejects %j', (req, message) => {
    expect(() => price(req, card)).toThrow(message);
  });
});

describe('kling-official-2026-09', () => {
  const official = loadRateCard('kling-official-2026-09');
  it.each([
    ['kling-3.0', '720p', false, '0.084', '0.42'],
    ['kling-3.0', '1080p', false, '0.112', '0.56'],
    ['kling-3.0', '720p', true, '0.126', '0.63'],
    ['kling-3.0', '1080p', true, '0.168', '0.84'],
    ['kling-o1', '720p', false, '0.084', '0.42'],
    ['kling-o1', '1080p', false, '0.112', '0.56'],
    ['kling-motion-control', '720p', false, '0.126', '0.63'],
    ['kling-motion-control', '1080p', false, '0.168', '0.84'],
  ] as const)('%s %s audio=%s at %s/s: 5 s cost %s', (model, resolution, audio, rate, cost) => {
    const reference = model === 'kling-motion-control' ? { orientation: 'video' as const, videoSeconds: 5 } : undefined;
    const p = price({ model, resolution, audio, durationSeconds: 5, reference }, official);
    expect(p.rate.toString()).toBe(rate);
    expect(p.cost.toString()).toBe(cost);
  });
  it('does not price O3, which its list does not give', () => {
    expect(() => price({ model: 'kling-o3', resolution: '720p', audio: false, durationSeconds: 5 }, official)).toThrow(
      'rate card kling-official-2026-09 does not price kling-o3',
    );
  });
  it('prices O1 only as image-to-video, as its figures give it', () => {
    expect(() => price({ model: 'kling-o1', mode: 'text-to-video', resolution: '720p', audio: false, durationSeconds: 5 }, official)).toThrow(
      'rate card kling-official-2026-09 does not price kling-o1 text-to-video: it prices kling-o1 only as image-to-video',
    );
  });
  it('keeps O1 to 5 or 10 seconds', () => {
    expect(() => price({ model: 'kling-o1', resolution: '720p', audio: false, durationSeconds: 6 }, official)).toThrow('takes 5 or 10 seconds');
  });
});

describe('rate card files', () => {
  it('a card that still bounds Motion Control byReference is told what replaced it', async () => {
    const { RateCard } = await import('../../../src/pricing/rate-card-schema.js');
    const raw = JSON.parse(JSON.stringify(card)) as { products: { duration: Record<string, unknown> }[] };
    const mc = raw.products.find((p) => 'byOrientation' in p.duration)!;
    mc.duration = { min: 1, byReference: { image: { max: 10 }, video: { max: 30 } } };
    const r = RateCard.safeParse(raw);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toBe(
      'byReference is gone: Motion Control is bounded by character orientation, write byOrientation: { image: { max: 10 }, video: { max: 30 } }',
    );
  });
});
