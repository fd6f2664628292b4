import { expect, it } from 'vitest';
import { sumMoney } from '../../../src/money.js';
import { decide } from '../../../src/policy/decision.js';
import { ladder } from '../../../src/policy/ladder.js';
import { savingsByStep } from '../../../src/policy/savings.js';
import { card, job, policy } from '../../helpers/policy.js';

it('splits a job’s saving between the rules that made it, and the parts add up', () => {
  const request = job({ model: 'kling-3.0', resolution: '1080p', audio: 'deferrable', durationSeconds: 10, stage: 'draft' });
  const p = policy({ staging: { draft: '720p' }, audioDeferral: { when: 'always' }, ladder: ['cheaper-model'] });
  const l = ladder(request, p, card);
  const chosen = l.candidates[decide(l).chosen!]!;
  const parts = savingsByStep(request, chosen.job, chosen.steps, card);
  // 3.0 1080p with audio 1.50 → 720p with audio 1.13 → 720p silent 0.75
  expect([...parts].map(([k, v]) => [k, v.toString()])).toEqual([
    ['staging', '0.37'],
    ['audio-deferral', '0.38'],
  ]);
  expect(sumMoney(parts.values()).toFixed(2)).toBe('0.75'); // the whole saving, 1.50 − 0.75
  expect([l.requestPrice.cost.toFixed(2), chosen.price.cost.toFixed(2)]).toEqual(['1.50', '0.75']);
});

it('counts a cheaper model on its own line', () => {
  const request = job({ model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 10 });
  const l = ladder(request, policy({ ladder: ['cheaper-model'] }), card);
  const downgraded = l.candidates[1]!;
  expect([...savingsByStep(request, downgraded.job, downgraded.steps, card)].map(([k, v]) => [k, v.toString()])).toEqual([['cheaper-model', '0.25']]);
});
