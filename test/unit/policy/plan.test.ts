import { describe, expect, it } from 'vitest';
import { PricingError } from '../../../src/errors.js';
import { ladder } from '../../../src/policy/ladder.js';
import { savingsByStep } from '../../../src/policy/savings.js';
import { card, job, policy } from '../../helpers/policy.js';

// The ladder is planned once per policy version, card and job shape: what each job brings of its
// own must still be its own, and a new version must plan again.
describe('a ladder planned once per policy and job shape', () => {
  const rules = { staging: { draft: '720p' as const }, ladder: ['drop-deferrable-audio' as const, 'downscale-720p' as const, 'cheaper-model' as const] };

  it('gives every job of one shape its own id, prompt, project and priority on every variant', () => {
    const p = policy(rules, { budgets: { projects: { trailer: { limit: '500', period: 'monthly' }, teaser: { limit: '500', period: 'monthly' } } } });
    const a = ladder(job({ id: 'a-1', prompt: 'first', audio: 'deferrable' }), p, card);
    const b = ladder(job({ id: 'b-2', prompt: 'second', project: 'teaser', priority: 9, audio: 'deferrable' }), p, card);
    expect(a.candidates.length).toBeGreaterThan(1);
    expect(b.candidates.map((c) => [c.job.id, c.job.prompt, c.job.project, c.job.priority])).toEqual(b.candidates.map(() => ['b-2', 'second', 'teaser', 9]));
    expect(a.candidates.map((c) => [c.job.id, c.job.prompt, c.job.project, c.job.priority])).toEqual(a.candidates.map(() => ['a-1', 'first', 'trailer', undefined]));
    const variants = (l: typeof a) => l.candidates.map((c) => `${c.job.model} ${c.job.mode} ${c.job.resolution} ${c.job.audio} ${c.price.cost.toFixed(2)}`);
    expect(variants(b)).toEqual(variants(a));
    expect(b.request.id).toBe('b-2');
  });

  it('plans again for another policy object (a new version), even for the same shape', () => {
    const j = job({ audio: 'deferrable' });
    expect(ladder(j, policy(rules), card).candidates).toHaveLength(3);
    expect(ladder(j, policy({}), card).candidates).toHaveLength(1);
    expect(ladder(j, policy(rules), card).candidates).toHaveLength(3);
  });

  it('keeps a shape the card cannot price unpriceable, each time', () => {
    const p = policy(rules);
    for (let i = 0; i < 2; i++) expect(() => ladder(job({ durationSeconds: 99 }), p, card)).toThrow(PricingError);
  });

  it('prepares each candidate’s saving parts as savingsByStep counts them', () => {
    const request = job({ audio: 'deferrable', stage: 'draft' });
    const l = ladder(request, policy(rules), card);
    for (const c of l.candidates) {
      const parts = [...savingsByStep(request, c.job, c.steps, card)].filter(([, m]) => !m.isZero()).map(([rule, m]) => [rule, m.toString()]);
      expect(c.prepared!.savings.map((s) => [s.rule, s.amount.toString()])).toEqual(parts);
    }
    expect(l.candidates.at(-1)!.prepared!.savings.length).toBeGreaterThan(1);
  });
});
