import { describe, expect, it } from 'vitest';
import { decisionRecord, headroom, readDecision, storeDecision, type DecisionRecord } from '../../../src/queue/records.js';

const scopes = [
  { scope: 'project' as const, name: 'trailer', window: '2026-11', limit: '10.00', spent: '9.50', reserved: '0.25', available: '0.25' },
  { scope: 'team' as const, name: 'studio', window: '2026-11', limit: '100.00', spent: '40.00', reserved: '1.00', available: '59.00' },
];
const candidate = {
  model: 'kling-o3' as const,
  mode: 'text-to-video' as const,
  resolution: '720p' as const,
  audio: 'none' as const,
  durationSeconds: 8,
  billedSeconds: 8,
  reference: null,
  cost: '0.60',
  reserve: '0.60',
  saving: '0.40',
  ceiling: 0.9,
  downgraded: false,
  steps: ['staging', 'audio-deferral'],
  fallbacks: [{ model: 'kling-3.0' as const, cost: '0.60' }],
};
const admitted: DecisionRecord = {
  outcome: 'admit',
  rateCard: 'hf-forum-2026-04',
  currency: 'USD',
  chosen: { index: 0, ...candidate },
  requestedCost: '1.00',
  cost: '0.60',
  reserve: '0.60',
  saving: '0.40',
  candidates: [candidate, { ...candidate, model: 'kling-3.0', downgraded: true }],
  dropped: [{ ...candidate, resolution: '1080p', cost: '1.00', reserve: '1.00', saving: '0.00', reason: 'over the ceiling' }],
  rules: [{ rule: 'staging', detail: 'draft at 720p' }],
  reasons: [],
  id: 'shot-1',
  team: 'studio',
  project: 'trailer',
  code: 'admitted',
  policyVersion: '1:19e28e546486',
  scopes,
  decidedAt: '2026-11-27T03:41:55.754Z',
};
/** What Redis gives back: the stored shape, through JSON. */
const roundTrip = (r: DecisionRecord) => readDecision(JSON.parse(JSON.stringify(storeDecision(r))));

describe('the stored decision record', () => {
  it('gives back everything shown (decision, explanation, variant, cost, scopes) but the ladder, in under half the bytes', () => {
    expect(roundTrip(admitted)).toEqual({ ...admitted, candidates: [], dropped: [] });
    expect(JSON.stringify(storeDecision(admitted)).length).toBeLessThan(JSON.stringify(admitted).length / 2);
  });

  it("writes a budget rejection's headroom lines again from its scopes, after its own reasons", () => {
    const ctx = { id: 'shot-2', team: 'studio', project: 'trailer', policyVersion: '1:abc' };
    const rejected = decisionRecord(ctx, 'insufficient-budget', null, { reasons: ['no candidate fits the budget', ...headroom(scopes)], scopes });
    const stored = storeDecision(rejected);
    expect(stored.reasons).toEqual(['no candidate fits the budget']);
    expect(roundTrip(rejected)).toEqual(rejected);
    // Reasons that only look like headroom elsewhere are kept as they are.
    const odd = decisionRecord(ctx, 'reloaded-top-up-failed', null, { reasons: [headroom(scopes)[0]!, 'then something else'], scopes });
    expect(storeDecision(odd).reasons).toEqual(odd.reasons);
    expect(roundTrip(odd)).toEqual(odd);
  });

  it('reads a whole record written before the stored shape as it is, and nothing as null', () => {
    expect(readDecision(JSON.parse(JSON.stringify(admitted)))).toEqual(admitted);
    expect(readDecision(null)).toBeNull();
    expect(readDecision(undefined)).toBeNull();
  });
});
