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
