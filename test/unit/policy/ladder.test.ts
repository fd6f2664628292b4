import { describe, expect, it } from 'vitest';
import { money } from '../../../src/money.js';
import { decide, decisionJson, type Outcome } from '../../../src/policy/decision.js';
import { ladder } from '../../../src/policy/ladder.js';
import type { PolicyInput } from '../../../src/policy/schema.js';
import type { JobInput } from '../../../src/job.js';
import { card, job, omniCard, policy } from '../../helpers/policy.js';

const summary = (l: ReturnType<typeof ladder>) =>
  l.candidates.map((c) => `${c.job.model} ${c.job.resolution} ${c.job.audio} ${c.price.cost.toFixed(2)} r${c.reserve.toFixed(2)} c${c.ceiling}`);

describe('the reference examples', () => {
  it('a draft O3 1080p job with required audio, 10 s, quotes as 720p with audio at 1.00', () => {
    const l = ladder(job({ model: 'kling-o3', audio: 'required', stage: 'draft' }), policy({ staging: { draft: '720p' } }), card);
    const d = decisionJson(decide(l));
    expect(d).toMatchObject({ outcome: 'admit', requestedCost: '1.25', cost: '1.00', saving: '0.25' });
    expect(d.chosen).toMatchObject({ resolution: '720p', audio: 'required', steps: ['staging'] });
    expect(d.rules).toEqual([{ rule: 'staging', detail: 'draft job staged from 1080p to 720p' }]);
  });

  const mc = job({ model: 'kling-motion-control', reference: { orientation: 'video', videoSeconds: 30 } });
  it('Motion Control 1080p with a 30 s reference video (orientation video) under a 4.00 cap downgrades to 720p at 3.39', () => {
    const d = decisionJson(decide(ladder(mc, policy({ maxJobCost: '4.00', ladder: ['downscale-720p'] }), card)));
    expect(d).toMatchObject({ outcome: 'downgrade', requestedCost: '4.53', cost: '3.39', saving: '1.14' });
    expect(d.dropped).toEqual([expect.objectContaining({ resolution: '1080p', reason: 'costs 4.53, above maxJobCost 4.00' })]);
  });
  it('… and under a 3.00 cap it is rejected, saying why', () => {
    const d = decisionJson(decide(ladder(mc, policy({ maxJobCost: '3.00', ladder: ['downscale-720p'] }), card)));
    expect(d).toMatchObject({ outcome: 'reject', chosen: null, cost: null });
    expect(d.reasons).toEqual([
      'kling-motion-control motion-control 1080p silent 30s, orientation video: costs 4.53, above maxJobCost 3.00',
      'kling-motion-control motion-control 720p silent 30s, orientation video: costs 3.39, above maxJobCost 3.00',
    ]);
  });
});

describe('each rule', () => {
  it.each<[string, Partial<JobInput>, PolicyInput['rules'], string[]]>([
    ['staging leaves production jobs alone', { stage: 'production' }, { staging: { draft: '720p' } }, ['kling-3.0 1080p none 1.00 r1.00 c1']],
    ['staging leaves drafts already at 720p alone', { stage: 'draft', resolution: '720p' }, { staging: { draft: '720p' } }, ['kling-3.0 720p none 0.75 r0.75 c1']],
    ['audio deferral always: deferrable goes silent', { audio: 'deferrable' }, { audioDeferral: { when: 'always' } }, ['kling-3.0 1080p none 1.00 r1.00 c1']],
    ['audio deferral never: deferrable keeps audio', { audio: 'deferrable' }, { audioDeferral: { when: 'never' } }, ['kling-3.0 1080p deferrable 1.50 r1.50 c1']],
    ['audio deferral always never drops required audio', { audio: 'required' }, { audioDeferral: { when: 'always' } }, ['kling-3.0 1080p required 1.50 r1.50 c1']],
    ['ladder: drop deferrable audio', { audio: 'deferrable' }, { ladder: ['drop-deferrable-audio'] }, ['kling-3.0 1080p deferrable 1.50 r1.50 c1', 'kling-3.0 1080p none 1.00 r1.00 c1']],
    ['ladder: required audio is never dropped', { audio: 'required' }, { ladder: ['drop-deferrable-audio'] }, ['kling-3.0 1080p required 1.50 r1.50 c1']],
    ['ladder: downscale', {}, { ladder: ['downscale-720p'] }, ['kling-3.0 1080p none 1.00 r1.00 c1', 'kling-3.0 720p none 0.75 r0.75 c1']],
    ['ladder: cheaper model keeps resolution and audio', { audio: 'required' }, { ladder: ['cheaper-model'] }, ['kling-3.0 1080p required 1.50 r1.50 c1', 'kling-o3 1080p required 1.25 r1.25 c1']],
    ['ladder: cumulative, skipping steps that save nothing', { audio: 'deferrable' }, { ladder: ['drop-deferrable-audio', 'cheaper-model', 'downscale-720p'], fullQualityCeiling: 0.9 }, [
      'kling-3.0 1080p deferrable 1.50 r1.50 c0.9',
      'kling-3.0 1080p none 1.00 r1.00 c1',
      'kling-3.0 720p none 0.75 r0.75 c1',
    ]],
    ['ladder: cheaper model respects allowModels', { audio: 'required' }, { ladder: ['cheaper-model'], allowModels: ['kling-3.0'] }, ['kling-3.0 1080p required 1.50 r1.50 c1']],
    ['fallback cheaper reserves the own price', { model: 'kling-o3', audio: 'required' }, { fallback: { direction: 'cheaper' } }, ['kling-o3 1080p required 1.25 r1.25 c1']],
    ['fallback any reserves the dearest reachable model', { model: 'kling-o3', audio: 'required' }, { fallback: { direction: 'any', maxPremium: '0.25' } }, ['kling-o3 1080p required 1.25 r1.50 c1']],
    ['fallback any with top-up reserves the own price', { model: 'kling-o3', audio: 'required' }, { fallback: { direction: 'any', maxPremium: '0.25', reserve: 'top-up' } }, ['kling-o3 1080p required 1.25 r1.25 c1']],
    ['fallback any within a smaller premium reserves the own price', { model: 'kling-o3', audio: 'required' }, { fallback: { direction: 'any', maxPremium: '0.1' } }, ['kling-o3 1080p required 1.25 r1.25 c1']],
    ['allowResolutions drops a variant', {}, { allowResolutions: ['720p'], ladder: ['downscale-720p'] }, ['kling-3.0 720p none 0.75 r0.75 c1']],
  ])('%s', (_, j, rules, expected) => {
    expect(summary(ladder(job(j), policy(rules), card))).toEqual(expected);
  });

  it('lists the fallbacks a candidate may move to, nearest in price first', () => {
    const l = ladder(job({ model: 'kling-3.0', audio: 'required' }), policy({ fallback: { direction: 'cheaper' } }), card);
    expect(l.candidates[0]!.fallbacks.map((f) => [f.model, f.cost.toFixed(2)])).toEqual([['kling-o3', '1.25']]);
    const none = ladder(job({ model: 'kling-3.0', audio: 'required' }), policy({ fallback: { direction: 'none' } }), card);
    expect(none.candidates[0]!.fallbacks).toEqual([]);
  });

  it('audio deferral "above" acts only above the threshold', () => {
    const p = policy({ audioDeferral: { when: 'above', above: 0.8 } });
    const j = job({ audio: 'deferrable' });
    expect(ladder(j, p, card, { utilization: money('0.8') }).candidates[0]!.job.audio).toBe('deferrable');
    const above = ladder(j, p, card, { utilization: money('0.81') });
    expect(above.candidates[0]!.job.audio).toBe('none');
    expect(above.rules[0]!.detail).toBe('deferrable audio generated silent (budget is 81% used, above 80%)');
    expect(ladder(j, p, card).candidates[0]!.job.audio).toBe('deferrable');
  });
});

describe('decisions against a scope', () => {
  const p = policy({ fullQualityCeiling: 0.9, ladder: ['downscale-720p'] });
  it.each<[string, string, Outcome, number | null]>([
    ['100', '0', 'admit', 0],
    ['100', '89', 'admit', 0],
    ['100', '89.5', 'downgrade', 1],
    ['100', '99.25', 'downgrade', 1],
    ['100', '99.26', 'reject', null],
  ])('limit %s, used %s: %s', (limit, used, outcome, chosen) => {
    const d = decide(ladder(job(), p, card), { limit: money(limit), used: money(used) });
    expect([d.outcome, d.chosen]).toEqual([outcome, chosen]);
    if (outcome === 'reject') expect(d.reasons[0]).toBe('no candidate fits: 0.74 of 100.00 available, cheapest candidate reserves 0.75');
  });
});

describe('a job the card cannot price', () => {
  it('throws the pricing error', () => {
    expect(() => ladder(job({ model: 'kling-o1', durationSeconds: 7 }), policy(), card)).toThrow('kling-o1 image-to-video takes 5 or 10 seconds, got 7');
  });
});

/** Each candidate with what the omni and Motion Control rules must keep: mode, length, reference. */
const full = (l: ReturnType<typeof ladder>) =>
  l.candidates.map((c) => {
    const ref = c.job.reference ? ` ${c.job.reference.orientation}:${c.job.reference.videoSeconds}` : '';
    const fallbacks = c.fallbacks.length ? ` f[${c.fallbacks.map((f) => `${f.model} ${f.cost.toFixed(2)}`).join(', ')}]` : '';
    return `${c.job.model} ${c.job.mode} ${c.job.resolution} ${c.job.audio} ${c.job.durationSeconds}s${ref} ${c.price.cost.toFixed(3)} r${c.reserve.toFixed(3)}${fallbacks}`;
  });

describe('O1 and O3 in both modes (a card that prices them)', () => {
  const i2v = { mode: 'image-to-video' as const, input: { image_url: 'https://example.test/k.png' } };
  it.each<[string, Partial<JobInput>, PolicyInput['rules'], string[]]>([
    ['O1 image-to-video: cheaper-model moves to O3 image-to-video, same length', { model: 'kling-o1', ...i2v }, { ladder: ['cheaper-model'] }, [
      'kling-o1 image-to-video 1080p none 10s 1.111 r1.111',
      'kling-o3 image-to-video 1080p none 10s 0.950 r0.950',
    ]],
    ['O1 text-to-video: cheaper-model stays text-to-video, though O3 image-to-video is cheaper', { model: 'kling-o1', mode: 'text-to-video' }, { ladder: ['cheaper-model'] }, [
      'kling-o1 text-to-video 1080p none 10s 1.111 r1.111',
      'kling-3.0 text-to-video 1080p none 10s 1.000 r1.000',
    ]],
    ['O3 image-to-video: fallback any reaches only image-to-video models', { model: 'kling-o3', ...i2v }, { fallback: { direction: 'any', maxPremium: '0.25' } }, [
      'kling-o3 image-to-video 1080p none 10s 0.950 r1.111 f[kling-o1 1.11]',
    ]],
    ['O3 image-to-video, 7 s: O1 takes 5 or 10 s, so it is no fallback', { model: 'kling-o3', ...i2v, durationSeconds: 7 }, { fallback: { direction: 'any', maxPremium: '0.5' } }, [
      'kling-o3 image-to-video 1080p none 7s 0.665 r0.665',
    ]],
    ['O3 image-to-video: fallback cheaper has nothing cheaper in its mode', { model: 'kling-o3', ...i2v }, { fallback: { direction: 'cheaper' } }, [
      'kling-o3 image-to-video 1080p none 10s 0.950 r0.950',
    ]],
    ['O3 image-to-video draft: staging and audio deferral keep mode and length', { model: 'kling-o3', ...i2v, audio: 'deferrable', stage: 'draft' }, { staging: { draft: '720p' }, audioDeferral: { when: 'always' } }, [
      'kling-o3 image-to-video 720p none 10s 0.700 r0.700',
    ]],
    ['O1 image-to-video above maxJobCost is dropped; its cheaper O3 image-to-video variant stays', { model: 'kling-o1', ...i2v }, { ladder: ['cheaper-model'], allowModels: ['kling-o3', 'kling-o1'], maxJobCost: '1.00' }, [
      'kling-o3 image-to-video 1080p none 10s 0.950 r0.950',
    ]],
  ])('%s', (_, j, rules, expected) => {
    expect(full(ladder(job(j), policy(rules), omniCard))).toEqual(expected);
  });

  it.each<[Partial<JobInput>, string]>([
    [{ model: 'kling-o3', mode: 'image-to-video' }, 'rate card hf-forum-2026-04 does not price kling-o3 image-to-video: it prices kling-o3 only as text-to-video'],
    [{ model: 'kling-o1', mode: 'text-to-video' }, 'rate card hf-forum-2026-04 does not price kling-o1 text-to-video: it prices kling-o1 only as image-to-video'],
    [{ model: 'kling-o1', mode: 'image-to-video', durationSeconds: 7 }, 'kling-o1 image-to-video takes 5 or 10 seconds, got 7'],
  ])('on the default card %j is refused: %s', (j, message) => {
    expect(() => ladder(job(j), policy({ ladder: ['cheaper-model'] }), card)).toThrow(message);
  });
});

describe('Motion Control: every rule keeps the reference video and its length', () => {
  const mc = (orientation: 'image' | 'video', videoSeconds: number, over: Partial<JobInput> = {}) =>
    job({ model: 'kling-motion-control', reference: { orientation, videoSeconds }, ...over });
  it.each<[string, ReturnType<typeof job>, PolicyInput['rules'], string[]]>([
    ['priced on the reference video, rounded half up', mc('video', 12.5), {}, ['kling-motion-control motion-control 1080p none 12.5s video:12.5 1.963 r1.963']],
    ['orientation image up to 10 s', mc('image', 10), {}, ['kling-motion-control motion-control 1080p none 10s image:10 1.510 r1.510']],
    ['staging a draft changes the resolution only', mc('video', 20, { stage: 'draft' }), { staging: { draft: '720p' } }, [
      'kling-motion-control motion-control 720p none 20s video:20 2.260 r2.260',
    ]],
    ['the whole ladder: only downscale applies; no other model serves motion control', mc('video', 30), { ladder: ['drop-deferrable-audio', 'downscale-720p', 'cheaper-model'] }, [
      'kling-motion-control motion-control 1080p none 30s video:30 4.530 r4.530',
      'kling-motion-control motion-control 720p none 30s video:30 3.390 r3.390',
    ]],
    ['fallback any finds no other motion-control model', mc('image', 8), { fallback: { direction: 'any', maxPremium: '1' } }, [
      'kling-motion-control motion-control 1080p none 8s image:8 1.208 r1.208',
    ]],
    ['allowModels without Motion Control admits nothing', mc('video', 12), { allowModels: ['kling-3.0', 'kling-o3'], ladder: ['cheaper-model'] }, []],
    ['allowResolutions drops 1080p, keeps the downscaled 720p', mc('video', 12), { allowResolutions: ['720p'], ladder: ['downscale-720p'] }, [
      'kling-motion-control motion-control 720p none 12s video:12 1.356 r1.356',
    ]],
  ])('%s', (_, j, rules, expected) => {
    expect(full(ladder(j, policy(rules), card))).toEqual(expected);
  });

  it('a job refused by allowModels says why', () => {
    const d = decisionJson(decide(ladder(mc('video', 12), policy({ allowModels: ['kling-3.0'] }), card)));
    expect(d.reasons).toEqual(['kling-motion-control motion-control 1080p silent 12s, orientation video: kling-motion-control is not in allowModels (kling-3.0)']);
  });
});
