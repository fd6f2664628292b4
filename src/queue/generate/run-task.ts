import type { Job as BullJob } from 'bullmq';
import type { Job } from '../../job.js';
import { followTask } from '../../providers/poll.js';
import type { TaskHandle } from '../../providers/provider.js';
import type { GenerateData } from '../records.js';
import { pricingTermsOf, writePricingTerms, type PricingTerms } from '../records/admission.js';
import type { GeneratorDeps } from './deps.js';
import type { StepEvent } from './next-step.js';

/** The reservation was found no longer held: nothing more may be sent or settled on it. */
class NotHeld extends Error {
  constructor(readonly status: string) {
    super(`reservation is ${status}`);
  }
}

export interface TaskRun {
  bull: BullJob<GenerateData>;
  data: () => GenerateData;
  save: (patch: Partial<GenerateData>) => Promise<void>;
}

/**
 * Finds or creates the task for `job` and follows it to its end, extending the reservation's lease
 * (and the provider slot) while it runs. Returns what happened as an event for `nextStep`;
 * provider and system errors are thrown.
 */
export async function runTask(deps: GeneratorDeps, run: TaskRun, job: Job, externalId: string): Promise<StepEvent> {
  try {
    let submittedAt: number | undefined;
    const handle = await findOrCreate(deps, run, job, externalId, () => (submittedAt = Date.now()));
    const task = await follow(deps, run, job, handle);
    // Provider time from our own create call; a task found again (a retry, a re-delivery) counts
    // from the provider's own creation time, as near as its clock agrees with ours.
    const from = submittedAt ?? task.createdAt;
    if (from !== null) deps.metrics?.providerTask(job.model, task.status, (Date.now() - from) / 1000);
    return { type: 'task-ended', task };
  } catch (err) {
    if (err instanceof NotHeld) return { type: 'not-held', status: err.status };
    throw err;
  }
}

/**
 * Renews the reservation's lease, or says it is no longer held. While a task is followed, a
 * reservation already committed is no reason to stop: an earlier run of this job committed the
 * task's bill and then lost its job's completion (a Redis restart, a lapsed lock), so BullMQ runs
 * it again; the task is followed to its end and the commit replays its first answer.
 */
/** `terms` stay with the reservation: reconciliation prices the job's tasks by them once the generate job is gone. */
async function hold(deps: GeneratorDeps, id: string, during: 'submit' | 'follow', terms?: PricingTerms): Promise<void> {
  const held = await deps.ledger.extend({ reservationId: id, leaseMs: deps.leaseMs, ...(terms ? { terms: writePricingTerms(terms) } : {}) });
  if (held.status === 'reserved' || (held.status === 'committed' && during === 'follow')) return;
  throw new NotHeld(held.status);
}

async function findOrCreate(deps: GeneratorDeps, run: TaskRun, job: Job, externalId: string, submitting: () => void): Promise<TaskHandle> {
  const provider = deps.providerFor(job.model);
  const d = run.data();
  // A task already accepted is read by its own id: no lookup, and never a second create.
  const saved = d.current;
  if (saved?.externalId === externalId && saved.taskId && saved.route) return { provider: provider.name, taskId: saved.taskId, externalId, route: saved.route };
  // Resuming (a retry, or a job re-delivered after a worker died): look before creating.
  const resuming = d.current?.externalId === externalId || run.bull.attemptsMade > 0;
  const found = resuming ? await provider.findByExternalId(externalId, job) : null;
  if (found) {
    if (d.current?.taskId !== found.handle.taskId) await run.save({ current: { model: job.model, externalId, taskId: found.handle.taskId, route: found.handle.route } });
    return found.handle;
  }
  // Nothing goes to the provider unless the money is still held: a reservation given back while
  // the job waited would leave the provider's bill outside every budget. The fresh lease covers
  // the submit.
  await hold(deps, d.id, 'submit', pricingTermsOf(d));
  // A cancel that came first wins: the job was never sent, and the failure path releases its money.
  if ((await deps.gate.claim(job.team, d.id, 'sent')) === 'cancelled') throw new NotHeld('cancelled');
  if (!resuming) await run.save({ current: { model: job.model, externalId } });
  const callbackUrl = deps.callbackUrlFor?.(externalId);
  submitting();
  const handle = await provider.submit(job, externalId, callbackUrl ? { callbackUrl } : {});
  await run.save({ current: { model: job.model, externalId, taskId: handle.taskId, route: handle.route } });
  return handle;
}

async function follow(deps: GeneratorDeps, run: TaskRun, job: Job, handle: TaskHandle) {
  const id = run.data().id;
  // Also while it follows: a job an older version sent goes on with its terms in its reservation.
  const terms = pricingTermsOf(run.data());
  let lastExtend = Date.now();
  return followTask(deps.providerFor(job.model), handle, {
    ...deps.poll,
    wake: deps.wake && ((now) => deps.wake!(handle.externalId, now)),
    onPoll: async () => {
      // Keep the slots (their leases are short) and the reservation alive while the provider works;
      // a poll never charges. The task runs at the provider, so the account counts it even if its
      // slot lapsed meanwhile (force).
      await deps.scheduler.hold(id, true);
      await deps.slots.acquire(job.model, id);
      if (Date.now() - lastExtend < deps.leaseMs / 4) return;
      lastExtend = Date.now();
      await hold(deps, id, 'follow', terms);
    },
  });
}
