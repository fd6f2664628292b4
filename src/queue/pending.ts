import type { Queue } from 'bullmq';

/** States after which BullMQ will not run a job again (`unknown`: removed, or never added). */
const ENDED = new Set(['completed', 'failed', 'unknown']);

/**
 * Whether a job (by id, which is also its reservation id) may still run in any of these queues:
 * waiting, delayed, prioritized, or active (a dead worker's active job is handed back by BullMQ's
 * stalled-job check). The reaper keeps such a job's reservation instead of expiring it: a deep
 * `generate` backlog can outlast any lease, and the money must still be held when its turn comes.
 */
export function pendingIn(queues: Queue[]): (id: string) => Promise<boolean> {
  return async (id) => {
    for (const queue of queues) if (!ENDED.has(await queue.getJobState(id))) return true;
    return false;
  };
}

/** A reservation is kept while any of these says so (its job may run; it awaits reconciliation). */
export function keepWhile(...rules: ((id: string) => Promise<boolean>)[]): (id: string) => Promise<boolean> {
  return async (id) => {
    for (const rule of rules) if (await rule(id)) return true;
    return false;
  };
}

interface MaybeSent {
  current?: { externalId?: string };
}

/**
 * A generate job that BullMQ itself ended as failed (stalled more often than allowed, an error
 * thrown on its last attempt) skipped the generator's own fail path, which would have released the
 * money or held it. If the job had begun a create (its external id is saved before the create is
 * sent), the provider may be running and billing the task: giving the reservation back would put
 * that bill outside every budget. Such a job is held for reconciliation instead, which settles it
 * from the provider's own record; one that never got as far as a create is left to expire.
 */
export function heldWhenQueueFailed(generate: Queue, hold: (id: string, externalId: string, reason: string) => Promise<void>): (id: string) => Promise<boolean> {
  return async (id) => {
    const job = await generate.getJob(id);
    if (!job || (await job.getState()) !== 'failed') return false;
    const externalId = (job.data as MaybeSent | undefined)?.current?.externalId;
    if (!externalId) return false;
    await hold(id, externalId, `the queue ended the job (${job.failedReason || 'no reason given'}) after a create was sent; the provider's bill is unknown`);
    return true;
  };
}
