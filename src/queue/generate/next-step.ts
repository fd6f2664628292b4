import type { ModelId } from '../../catalog.js';
import { formatMoney, type Money } from '../../money.js';
import { ProviderError, type TaskState } from '../../providers/provider.js';

/** What the generator knows of one admitted job when something happens to it. */
export interface StepState {
  /** The model being tried now, and the one the job was admitted on. */
  model: ModelId;
  admitted: ModelId;
  tried: readonly ModelId[];
  reserved: Money;
  fallbacks: readonly { model: ModelId; cost: Money }[];
  direction: 'none' | 'cheaper' | 'any';
  /**
   * The provider accepted a task for the current model, or may have (a create whose answer never
   * came): its end, and its bill, may still be unknown.
   */
  taskCreated: boolean;
  slotWaitMs: number;
  /** This attempt (1-based) and how many BullMQ allows. */
  attempt: number;
  attempts: number;
  limits: { slotRetryMs: number; maxSlotWaitMs: number };
}

export type StepEvent =
  /** Every provider slot of the model is taken. */
  | { type: 'slot-busy' }
  /** The task ended at the provider (succeeded or failed). */
  | { type: 'task-ended'; task: TaskState }
  /** The reservation is no longer held (released, or expired while the job waited). */
  | { type: 'not-held'; status: string }
  /** Raising the reservation for an upward fallback was refused. */
  | { type: 'top-up-refused'; to: ModelId; cost: Money; why: string }
  | { type: 'error'; error: Error };

export type Step =
  | { do: 'wait'; delayMs: number; slotWaitMs: number }
  | { do: 'fall-back'; to: ModelId; cost: Money; topUp: boolean; because: string }
  /** Throw for BullMQ to try again with backoff; a retry looks the task up before creating it. */
  | { do: 'retry'; error: Error }
  | { do: 'settle'; task: TaskState }
  /**
   * Ends the job as failed. `release` gives the money back; `hold` keeps it held for
   * reconciliation, because the provider accepted a task whose end (and bill) is unknown.
   */
  | { do: 'fail'; reason: string; settlement: 'release' | 'hold'; account?: boolean };

const fail = (reason: string, settlement: 'release' | 'hold' = 'release', account = false): Step =>
  account ? { do: 'fail', reason, settlement, account } : { do: 'fail', reason, settlement };

/**
 * The generator's decisions, as a pure function: given what it knows and what just happened,
 * what to do next. The runner (generator.ts) carries the step out and knows nothing of why.
 */
export function nextStep(s: StepState, e: StepEvent): Step {
  switch (e.type) {
    case 'slot-busy': {
      const waited = s.slotWaitMs + s.limits.slotRetryMs;
      if (waited > s.limits.maxSlotWaitMs) return onError(s, new ProviderError(`no ${s.model} slot within ${s.limits.maxSlotWaitMs} ms`, 'fallback'));
      return { do: 'wait', delayMs: s.limits.slotRetryMs, slotWaitMs: waited };
    }
    case 'task-ended':
      return e.task.status === 'failed' ? fail(`${s.model} task failed: ${e.task.failure?.message ?? 'unknown'}`) : { do: 'settle', task: e.task };
    case 'not-held':
      // With a task running, its bill is still to come: reconciliation charges it when it ends.
      return s.taskCreated
        ? fail(`reservation is ${e.status} while its task runs; reconciliation settles the task's bill`, 'hold')
        : fail(`the reservation is ${e.status}, so nothing was submitted to the provider`);
    case 'top-up-refused':
      return fail(`fallback ${e.to} costs ${formatMoney(e.cost)}; topping the reservation up from ${formatMoney(s.reserved)} failed (${e.why})`);
    case 'error':
      return onError(s, e.error);
  }
}

const lastAttempt = (s: StepState) => s.attempt >= s.attempts;

function onError(s: StepState, err: Error): Step {
  if (!(err instanceof ProviderError)) {
    // An error of the system (Redis away, a bug, a poll timeout): try again while attempts remain.
    return lastAttempt(s) ? giveUp(s, err) : { do: 'retry', error: err };
  }
  switch (err.action) {
    case 'fallback':
      // A task the provider accepted is not abandoned for another model: its bill would follow.
      return s.taskCreated ? retryOrGiveUp(s, err) : fallBack(s, err);
    case 'fail-account':
      return fail(err.message, s.taskCreated ? 'hold' : 'release', true);
    case 'fail-job':
      // "Not found" for a task the provider accepted is not proof it will never bill (a provider
      // restart, a read from a lagging replica): look again, and keep the money held meanwhile.
      if (s.taskCreated && isNotFound(err)) return retryOrGiveUp(s, err);
      // A read refused after the task was accepted says nothing of the task's own end.
      return fail(err.message, s.taskCreated ? 'hold' : 'release');
    case 'retry':
    case 'lookup':
      return retryOrGiveUp(s, err);
  }
}

const isNotFound = (err: ProviderError) => err.details.code === 1203;

function retryOrGiveUp(s: StepState, err: Error): Step {
  return lastAttempt(s) ? giveUp(s, err) : { do: 'retry', error: err };
}

function giveUp(s: StepState, err: Error): Step {
  // A create whose answer never came ('lookup') may have made a task, as much as one that did.
  const mayRun = s.taskCreated || (err instanceof ProviderError && err.action === 'lookup');
  return fail(`gave up after ${s.attempt} attempts: ${err.message}`, mayRun ? 'hold' : 'release');
}

function fallBack(s: StepState, err: ProviderError): Step {
  const tried = [...s.tried, s.model];
  const next = s.fallbacks.find((f) => !tried.includes(f.model) && f.model !== s.admitted);
  if (!next) {
    const why =
      s.direction === 'none'
        ? 'the policy allows no fallback'
        : s.fallbacks.length === 0
          ? `no ${s.direction === 'cheaper' ? 'cheaper or equal' : 'allowed'} model serves the same output`
          : 'every fallback model was tried';
    return fail(`${s.model} is unavailable (${err.message}) and ${why}`);
  }
  const topUp = next.cost.gt(s.reserved);
  if (topUp && s.direction !== 'any') {
    return fail(`fallback ${next.model} costs ${formatMoney(next.cost)}, more than the ${formatMoney(s.reserved)} reserved, and the policy allows no upward fallback`);
  }
  return { do: 'fall-back', to: next.model, cost: next.cost, topUp, because: err.message };
}
