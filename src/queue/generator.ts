import { DelayedError, type Job as BullJob } from 'bullmq';
import type { ModelId } from '../catalog.js';
import { money } from '../money.js';
import type { GeneratorDeps } from './generate/deps.js';
import { nextStep, type Step, type StepEvent, type StepState } from './generate/next-step.js';
import { runTask } from './generate/run-task.js';
import { settle } from './generate/settle.js';
import { externalTaskId } from './names.js';
import { failedOutcome, writeMoney, type GenerateData, type GenerationResult } from './records.js';

export type { GeneratorDeps } from './generate/deps.js';

type Failure = Extract<Step, { do: 'fail' }>;

/**
 * The generator's step for one admitted job: a thin runner around `nextStep`. It must hold one of
 * the provider account's slots (the dispatcher gives them out fairly and wakes the job), takes a
 * model slot, finds or creates the task and follows it (generate/run-task.ts), asks `nextStep` what the
 * outcome calls for, and carries that out: settle, wait for a slot, fall back (topping the
 * reservation up where allowed), retry through BullMQ, or fail through one path that releases the
 * money, or holds it for reconciliation when the provider accepted a task whose bill is unknown;
 * either way the account slot goes back.
 */
export function createGenerator(deps: GeneratorDeps) {
  return async (bull: BullJob<GenerateData>, token?: string): Promise<GenerationResult> => {
    let d = bull.data;
    const save = async (patch: Partial<GenerateData>) => {
      d = { ...d, ...patch };
      await bull.updateData(d);
    };
    const tried: ModelId[] = [...(d.tried ?? [])];
    let model: ModelId = d.current?.model ?? d.variant.model;
    let reserved = money(d.reserved);
    const state = (): StepState => ({
      model,
      admitted: d.variant.model,
      tried,
      reserved,
      fallbacks: d.fallbacks.map((f) => ({ model: f.model, cost: money(f.cost) })),
      direction: d.fallbackDirection,
      taskCreated: d.current?.model === model && d.current.taskId !== undefined,
      slotWaitMs: d.slotWaitMs ?? 0,
      attempt: bull.attemptsMade + 1,
      attempts: bull.opts.attempts ?? 1,
      limits: { slotRetryMs: deps.slotRetryMs, maxSlotWaitMs: deps.maxSlotWaitMs },
    });
    const finish = async (step: Failure): Promise<GenerationResult> => {
      if (step.account) deps.log.error({ job: d.id }, `provider account problem: ${step.reason}. Every job will fail until it is fixed.`);
      if (step.settlement === 'release') await deps.ledger.release({ reservationId: d.id, reason: step.reason });
      else await deps.holdForReconciliation(d.id, d.current?.externalId, step.reason);
      deps.log.warn({ job: d.id, model, reason: step.reason, settlement: step.settlement }, 'generation failed');
      return failedOutcome(d, model, step.reason, { fellBackFrom: tried, settlement: step.settlement === 'release' ? 'released' : 'held-for-reconciliation' });
    };

    // A job runs only while it holds one of the account's slots, which the dispatcher hands out
    // fairly and wakes it for. Without one (woken early, or its slot lapsed while it waited) it
    // makes sure it is in its team's line and sleeps again.
    // A task the provider already accepted (a job re-delivered after its worker died) is counted
    // whatever its turn: the provider runs it.
    if (!(await deps.scheduler.hold(d.id, d.current?.taskId !== undefined))) {
      await deps.scheduler.enqueue({ id: d.id, team: d.variant.team, stage: d.variant.stage, priority: d.variant.priority });
      await bull.moveToDelayed(Date.now() + deps.parkMs, token);
      throw new DelayedError();
    }
    const done = async (result: GenerationResult) => {
      await deps.scheduler.release(d.id);
      return result;
    };

    for (;;) {
      const job = { ...d.variant, model };
      let event: StepEvent = { type: 'slot-busy' };
      try {
        if (await deps.slots.acquire(model, d.id)) event = await runTask(deps, { bull, data: () => d, save }, job, externalTaskId(d.id, model));
      } catch (err) {
        event = { type: 'error', error: err as Error };
      }
      if (event.type !== 'slot-busy') await deps.slots.release(model, d.id).catch(() => {});
      const step = nextStep(state(), event);
      switch (step.do) {
        case 'settle':
          return done(await settle(deps, d, job, step.task, tried));
        case 'fail':
          return done(await finish(step));
        case 'retry':
          throw step.error;
        case 'wait':
          await save({ slotWaitMs: step.slotWaitMs });
          await bull.moveToDelayed(Date.now() + step.delayMs, token);
          throw new DelayedError();
        case 'fall-back': {
          if (step.topUp) {
            const up = await deps.ledger.topUp({ reservationId: d.id, amount: step.cost });
            // Already covered: an earlier attempt topped up, then stopped before it could save.
            if (!up.toppedUp && up.reason !== 'already-covered') return done(await finish(nextStep(state(), { type: 'top-up-refused', to: step.to, cost: step.cost, why: up.reason ?? up.status }) as Failure));
            reserved = up.amount && money(up.amount).gt(step.cost) ? money(up.amount) : step.cost;
          }
          deps.log.info({ job: d.id, from: model, to: step.to, reason: step.because }, 'falling back');
          tried.push(model);
          model = step.to;
          await save({ tried, current: { model, externalId: externalTaskId(d.id, model) }, reserved: writeMoney(reserved), slotWaitMs: 0 });
        }
      }
    }
  };
}
