import { DelayedError, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import type { ModelId } from '../catalog.js';
import { priceRequestOf, type Job } from '../job.js';
import type { Ledger } from '../ledger/ledger.js';
import { formatMoney, money, type Money } from '../money.js';
import { price, tryPrice } from '../pricing/price.js';
import { loadRateCard } from '../pricing/rate-cards.js';
import { followTask } from '../providers/poll.js';
import { ProviderError, type Provider, type TaskState } from '../providers/provider.js';
import { externalTaskId } from './names.js';
import type { GenerateData, GenerationResult } from './records.js';
import type { ModelSlots } from './slots.js';

export interface GeneratorDeps {
  ledger: Ledger;
  providerFor: (model: ModelId) => Provider;
  slots: ModelSlots;
  leaseMs: number;
  /** How long a job may wait for a provider slot before its model counts as unavailable. */
  maxSlotWaitMs: number;
  slotRetryMs: number;
  poll: { intervalMs: number; maxIntervalMs: number; timeoutMs: number };
  callbackUrl?: string;
  /** Wakes the poll loop of the task with this external id when a callback arrives. */
  wake?: (externalId: string, now: () => void) => () => void;
  log: Logger;
}

/** Ends the job: nothing more will be tried. */
class Final extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * The generator's step for one admitted job: submit to the provider, follow the task, extend the
 * reservation's lease while it runs, and settle: commit what the provider billed, or release.
 * On unavailability it falls back along the policy's direction, topping the reservation up only
 * where the policy allows and the budget holds. A crashed or retried job looks its task up by
 * external id before it would ever create it again, and the ledger commits once.
 */
export function createGenerator(deps: GeneratorDeps) {
  return async (bull: BullJob<GenerateData>, token?: string): Promise<GenerationResult> => {
    let d = bull.data;
    const tried: ModelId[] = d.tried ?? [];
    let model: ModelId = d.current?.model ?? d.variant.model;
    let reserved = money(d.reserved);
    const save = async (patch: Partial<GenerateData>) => {
      d = { ...d, ...patch };
      await bull.updateData(d);
    };
    const finish = async (reason: string): Promise<GenerationResult> => {
      await deps.ledger.release({ reservationId: d.id, reason });
      deps.log.warn({ job: d.id, model, reason }, 'generation failed; reservation released');
      return result(d, model, tried, { state: 'failed', reason });
    };

    for (;;) {
      const job: Job = { ...d.variant, model };
      const externalId = externalTaskId(d.id, model);
      try {
        if (!(await deps.slots.acquire(model, d.id))) {
          const waited = (d.slotWaitMs ?? 0) + deps.slotRetryMs;
          if (waited > deps.maxSlotWaitMs) throw new ProviderError(`no ${model} slot within ${deps.maxSlotWaitMs} ms`, 'fallback');
          await save({ slotWaitMs: waited });
          await bull.moveToDelayed(Date.now() + deps.slotRetryMs, token);
          throw new DelayedError();
        }
        const state = await runTask(deps, bull, d, job, externalId, save);
        await deps.slots.release(model, d.id);
        if (state.status === 'failed') return await finish(`${model} task failed: ${state.failure?.message ?? 'unknown'}`);
        return await settle(deps, d, job, state, tried);
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        await deps.slots.release(model, d.id).catch(() => {});
        if (err instanceof Final) return finish(err.reason);
        if (!(err instanceof ProviderError)) throw err;
        if (err.action === 'fallback') {
          tried.push(model);
          const next = d.fallbacks.find((f) => !tried.includes(f.model) && f.model !== d.variant.model);
          if (!next) {
            const why =
              d.fallbackDirection === 'none'
                ? 'the policy allows no fallback'
                : d.fallbacks.length === 0
                  ? `no ${d.fallbackDirection === 'cheaper' ? 'cheaper or equal' : 'allowed'} model serves the same output`
                  : 'every fallback model was tried';
            return finish(`${model} is unavailable (${err.message}) and ${why}`);
          }
          const cost = money(next.cost);
          if (cost.gt(reserved)) {
            if (d.fallbackDirection !== 'any') return finish(`fallback ${next.model} costs ${formatMoney(cost)}, more than the ${formatMoney(reserved)} reserved, and the policy allows no upward fallback`);
            const up = await deps.ledger.topUp({ reservationId: d.id, amount: cost });
            if (!up.toppedUp) return finish(`fallback ${next.model} costs ${formatMoney(cost)}; topping the reservation up from ${formatMoney(reserved)} failed (${up.reason ?? up.status})`);
            reserved = cost;
          }
          deps.log.info({ job: d.id, from: model, to: next.model, reason: err.message }, 'falling back');
          model = next.model;
          await save({ tried, current: { model, externalId: externalTaskId(d.id, model) }, reserved: reserved.toString(), slotWaitMs: 0 });
          continue;
        }
        if (err.action === 'fail-account') {
          deps.log.error({ job: d.id, code: err.details.code }, `provider account problem: ${err.message}. Every job will fail until it is fixed.`);
          return finish(err.message);
        }
        if (err.action === 'fail-job') return finish(err.message);
        // retry / lookup: BullMQ tries again with backoff; on the last attempt, give the money back.
        if (bull.attemptsMade + 1 >= (bull.opts.attempts ?? 1)) return finish(`gave up after ${bull.attemptsMade + 1} attempts: ${err.message}`);
        throw err;
      }
    }
  };
}

/** Finds or creates the task, then follows it to the end, extending the lease as it goes. */
async function runTask(
  deps: GeneratorDeps,
  bull: BullJob<GenerateData>,
  d: GenerateData,
  job: Job,
  externalId: string,
  save: (patch: Partial<GenerateData>) => Promise<void>,
): Promise<TaskState> {
  const provider = deps.providerFor(job.model);
  // Resuming (a retry, or a job re-delivered after a worker died): look before creating.
  const resuming = d.current?.externalId === externalId || bull.attemptsMade > 0;
  const found = resuming ? await provider.findByExternalId(externalId, job) : null;
  if (!found) {
    // Nothing goes to the provider unless the money is still held: a reservation given back while
    // the job waited (released, or expired by a reaper that found no job to keep it for) would
    // leave the provider's bill outside every budget. The fresh lease covers the submit.
    const held = await deps.ledger.extend({ reservationId: d.id, leaseMs: deps.leaseMs });
    if (held.status !== 'reserved') throw new Final(`the reservation is ${held.status}, so nothing was submitted to the provider`);
  }
  if (!resuming) await save({ current: { model: job.model, externalId } });
  const handle = found?.handle ?? (await provider.submit(job, externalId, deps.callbackUrl ? { callbackUrl: deps.callbackUrl } : {}));
  if (!found) await save({ current: { model: job.model, externalId, taskId: handle.taskId } });
  let lastExtend = Date.now();
  return followTask(provider, handle, {
    ...deps.poll,
    wake: deps.wake && ((now) => deps.wake!(externalId, now)),
    onPoll: async () => {
      // Keep the reservation and the slot alive while the provider works; a poll never charges.
      if (Date.now() - lastExtend < deps.leaseMs / 4) return;
      lastExtend = Date.now();
      const ext = await deps.ledger.extend({ reservationId: d.id, leaseMs: deps.leaseMs });
      if (ext.status !== 'reserved') throw new Final(`reservation is ${ext.status}; the task's cost can no longer be settled`);
      await deps.slots.acquire(job.model, d.id);
    },
  });
}

/** Commits what the provider billed (its billing record, or the output duration priced). */
async function settle(deps: GeneratorDeps, d: GenerateData, job: Job, state: TaskState, tried: ModelId[]): Promise<GenerationResult> {
  const model = state.model ?? job.model;
  const output = state.outputs[0];
  let actual: Money;
  let billing: GenerationResult['billing'];
  if (state.billing) {
    actual = state.billing.amount;
    billing = 'provider';
  } else {
    // The output's length as the card prices it. A length the provider leaves out, or one the card
    // cannot price, settles at what was asked: a settlement that throws would never commit at all.
    const card = loadRateCard(d.rateCard);
    const asked = { ...priceRequestOf(job), model };
    const seconds = output?.durationSeconds ?? null;
    const measured = seconds === null ? null : tryPrice({ ...asked, durationSeconds: seconds }, card);
    if (!measured) deps.log.warn({ job: d.id, outputSeconds: seconds }, 'no priceable output length from the provider; settling the length asked');
    actual = (measured ?? price(asked, card)).cost;
    billing = 'duration';
  }
  const c = await deps.ledger.commit({ reservationId: d.id, actual });
  if (c.status !== 'committed') {
    deps.log.error({ job: d.id, status: c.status }, 'the reservation resolved before the commit: this spend is not in the ledger');
  }
  const charged = c.status === 'committed' ? money(c.charged) : money('0');
  const variance = actual.minus(d.estimatedCost);
  deps.log.info({ job: d.id, model, actual: formatMoney(actual), variance: formatMoney(variance), replayed: c.replayed }, 'settled');
  return result(d, model, tried, {
    state: 'completed',
    videoUrl: output?.url ?? null,
    outputSeconds: output?.durationSeconds ?? null,
    actualCost: formatMoney(actual),
    charged: formatMoney(charged),
    variance: formatMoney(variance),
    overrun: c.status === 'committed' ? (c.overrun ?? '0.00') : formatMoney(actual),
    billing,
  });
}

function result(d: GenerateData, model: ModelId, tried: ModelId[], r: Partial<GenerationResult> & Pick<GenerationResult, 'state'>): GenerationResult {
  return {
    id: d.id,
    model,
    videoUrl: null,
    outputSeconds: null,
    estimatedCost: formatMoney(money(d.estimatedCost)),
    reserved: formatMoney(money(d.reserved)),
    actualCost: null,
    charged: null,
    variance: null,
    overrun: null,
    fellBackFrom: tried,
    billing: null,
    reason: null,
    finishedAt: new Date().toISOString(),
    ...r,
  };
}
