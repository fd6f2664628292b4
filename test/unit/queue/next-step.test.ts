import { describe, expect, it } from 'vitest';
import type { ModelId } from '../../../src/catalog.js';
import { money } from '../../../src/money.js';
import { ProviderError, type ErrorAction, type TaskState } from '../../../src/providers/provider.js';
import { nextStep, type StepState } from '../../../src/queue/generate/next-step.js';

// The generator's decisions as a table: state + event → step. Every row is written out by hand.

const state = (over: Partial<StepState> = {}): StepState => ({
  model: 'kling-3.0',
  admitted: 'kling-3.0',
  tried: [],
  reserved: money('1.00'),
  fallbacks: [],
  direction: 'cheaper',
  taskCreated: false,
  slotWaitMs: 0,
  attempt: 1,
  attempts: 3,
  limits: { slotRetryMs: 100, maxSlotWaitMs: 250 },
  ...over,
});

const task = (status: TaskState['status'], message?: string): TaskState => ({
  handle: { provider: 'kling', taskId: 't', externalId: 'x', route: 'text2video' },
  status,
  model: 'kling-3.0',
  outputs: [],
  billing: null,
  failure: message ? { code: 'task-failed', message } : null,
  createdAt: null,
});

const providerError = (action: ErrorAction, code?: number) => ({ type: 'error' as const, error: new ProviderError(`boom ${action}`, action, code ? { code } : {}) });

describe('provider errors, by class, attempt and whether the provider accepted a task', () => {
  // [action, code, taskCreated, attempt, expected step, expected settlement if it fails]
  const rows: [ErrorAction, number | undefined, boolean, number, string, string?][] = [
    ['retry', 1302, false, 1, 'retry'],
    ['retry', 1302, false, 3, 'fail', 'release'],
    ['retry', 5000, true, 1, 'retry'],
    ['retry', 5000, true, 3, 'fail', 'hold'],
    ['lookup', 5000, false, 2, 'retry'],
    // A create whose answer never came may have made a task: its money is held, not released.
    ['lookup', 5000, false, 3, 'fail', 'hold'],
    ['lookup', 5002, true, 3, 'fail', 'hold'],
    ['fail-job', 1301, false, 1, 'fail', 'release'],
    ['fail-job', 1301, false, 1, 'fail', 'release'],
    // A read refused while a task runs says nothing of the task's end: hold.
    ['fail-job', 1200, true, 1, 'fail', 'hold'],
    // A task the provider accepted and then "forgets": not a release, look again, then hold.
    ['fail-job', 1203, true, 1, 'retry'],
    ['fail-job', 1203, true, 3, 'fail', 'hold'],
    ['fail-job', 1203, false, 1, 'fail', 'release'],
    ['fail-account', 1004, false, 1, 'fail', 'release'],
    ['fail-account', 1102, true, 2, 'fail', 'hold'],
    // Unavailable with no fallback allowed: fail, and release (nothing was accepted).
    ['fallback', 5001, false, 1, 'fail', 'release'],
    // A model "unavailable" after it accepted the task: its bill would follow, so never move on.
    ['fallback', 5001, true, 1, 'retry'],
    ['fallback', 5001, true, 3, 'fail', 'hold'],
  ];
  it.each(rows)('%s (code %s), task accepted %s, attempt %i of 3 → %s %s', (action, code, taskCreated, attempt, expected, settlement) => {
    const step = nextStep(state({ taskCreated, attempt, direction: 'none' }), providerError(action, code));
    expect(step.do).toBe(expected);
    if (step.do === 'fail') expect(step.settlement).toBe(settlement);
    if (step.do === 'fail') expect(step.account === true).toBe(action === 'fail-account');
  });

  it('an error of the system is retried, then fails: released with no task, held with one', () => {
    const err = { type: 'error' as const, error: new Error('ECONNRESET') };
    expect(nextStep(state({ attempt: 1 }), err)).toEqual({ do: 'retry', error: err.error });
    expect(nextStep(state({ attempt: 3 }), err)).toMatchObject({ do: 'fail', settlement: 'release', reason: 'gave up after 3 attempts: ECONNRESET' });
    expect(nextStep(state({ attempt: 3, taskCreated: true }), err)).toMatchObject({ do: 'fail', settlement: 'hold' });
  });
});

describe('fallback choices', () => {
  const fallbacks = (...rows: [ModelId, string][]) => rows.map(([model, cost]) => ({ model, cost: money(cost) }));
  const unavailable = providerError('fallback', 5001);

  it('cheaper: goes to the first untried fallback, no top-up', () => {
    const s = state({ direction: 'cheaper', fallbacks: fallbacks(['kling-o3', '0.75']) });
    expect(nextStep(s, unavailable)).toMatchObject({ do: 'fall-back', to: 'kling-o3', topUp: false });
  });

  it('skips models already tried and the admitted one', () => {
    const s = state({ model: 'kling-o3', tried: ['kling-3.0'], fallbacks: fallbacks(['kling-3.0', '0.90'], ['kling-o3', '0.75'], ['kling-o1', '0.556']) });
    expect(nextStep(s, unavailable)).toMatchObject({ do: 'fall-back', to: 'kling-o1' });
  });

  it('fails with the reason when every fallback was tried', () => {
    const s = state({ model: 'kling-o3', tried: ['kling-3.0'], fallbacks: fallbacks(['kling-o3', '0.75']) });
    expect(nextStep(s, unavailable)).toMatchObject({ do: 'fail', settlement: 'release', reason: 'kling-o3 is unavailable (boom fallback) and every fallback model was tried' });
  });

  it('says why when the policy allows none, or no model serves the output', () => {
    expect(nextStep(state({ direction: 'none' }), unavailable)).toMatchObject({ reason: 'kling-3.0 is unavailable (boom fallback) and the policy allows no fallback' });
    expect(nextStep(state({ direction: 'cheaper' }), unavailable)).toMatchObject({ reason: 'kling-3.0 is unavailable (boom fallback) and no cheaper or equal model serves the same output' });
    expect(nextStep(state({ direction: 'any' }), unavailable)).toMatchObject({ reason: 'kling-3.0 is unavailable (boom fallback) and no allowed model serves the same output' });
  });

  it('any: a dearer fallback asks for a top-up of exactly its cost', () => {
    const s = state({ direction: 'any', fallbacks: fallbacks(['kling-o3', '1.25']) });
    const step = nextStep(s, unavailable);
    expect(step).toMatchObject({ do: 'fall-back', to: 'kling-o3', topUp: true });
    expect(step.do === 'fall-back' && step.cost.toString()).toBe('1.25');
  });

  it('cheaper: a dearer fallback (a reservation that cannot cover it) fails without a top-up', () => {
    const s = state({ direction: 'cheaper', fallbacks: fallbacks(['kling-o3', '1.25']) });
    expect(nextStep(s, unavailable)).toMatchObject({ do: 'fail', reason: 'fallback kling-o3 costs 1.25, more than the 1.00 reserved, and the policy allows no upward fallback' });
  });

  it('a refused top-up fails and releases, saying what the budget said', () => {
    const step = nextStep(state(), { type: 'top-up-refused', to: 'kling-o3', cost: money('1.25'), why: 'insufficient-budget' });
    expect(step).toEqual({ do: 'fail', settlement: 'release', reason: 'fallback kling-o3 costs 1.25; topping the reservation up from 1.00 failed (insufficient-budget)' });
  });
});

describe('slots, task ends and the reservation', () => {
  it('waits for a slot, then counts the model unavailable once the wait is over', () => {
    expect(nextStep(state({ slotWaitMs: 0 }), { type: 'slot-busy' })).toEqual({ do: 'wait', delayMs: 100, slotWaitMs: 100 });
    expect(nextStep(state({ slotWaitMs: 200 }), { type: 'slot-busy' })).toMatchObject({ do: 'fail', reason: expect.stringContaining('no kling-3.0 slot within 250 ms') });
  });

  it('settles a task that succeeded, fails one that failed (the provider bills no failed task)', () => {
    const ok = task('succeeded');
    expect(nextStep(state(), { type: 'task-ended', task: ok })).toEqual({ do: 'settle', task: ok });
    expect(nextStep(state({ taskCreated: true }), { type: 'task-ended', task: task('failed', 'nsfw') })).toEqual({ do: 'fail', settlement: 'release', reason: 'kling-3.0 task failed: nsfw' });
  });

  it('a reservation no longer held fails the job, saying whether anything was submitted', () => {
    expect(nextStep(state(), { type: 'not-held', status: 'expired' })).toMatchObject({ do: 'fail', reason: 'the reservation is expired, so nothing was submitted to the provider' });
    expect(nextStep(state({ taskCreated: true }), { type: 'not-held', status: 'released' })).toMatchObject({ do: 'fail', settlement: 'hold', reason: "reservation is released while its task runs; reconciliation settles the task's bill" });
  });
});
