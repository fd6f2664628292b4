import { Job as BullJob, type Queue } from 'bullmq';
import type { RedisConnection as Redis } from '../../redis-connection.js';
import type { Logger } from 'pino';
import { DEFAULTS } from '../../defaults.js';
import type { AccountScheduler } from './account.js';

export interface DispatcherOptions {
  scheduler: AccountScheduler;
  /** The generate queue, where admitted jobs sleep (delayed) until they get a slot. */
  generate: Queue;
  /** A connection of its own for the account's wake-ups (a subscribed connection does nothing else). */
  subscriber: Redis;
  limit: number;
  idleMs?: number;
  log: Logger;
}

export interface Dispatcher {
  /** Resolves once the loop has stopped. */
  stop(): Promise<void>;
}

/**
 * Gives the account's free slots to waiting jobs (dispatch.lua decides which, fairly) and wakes each
 * chosen job in the generate queue. The hand-off is idempotent: a job already awake is left alone, and
 * one that has ended gives its slot straight back. A dispatcher that dies between the two leaves a
 * slot whose lease lapses; the next dispatch puts that job back in its place in line. Runs in every
 * generator process; the Lua step is atomic, so any number can run.
 */
export async function startDispatcher(o: DispatcherOptions): Promise<Dispatcher> {
  const { scheduler, generate, log } = o;
  let stopped = false;
  let wake: (() => void) | undefined;
  let pending = false; // a wake-up that came while dispatching: look again at once
  await scheduler.setLimit(o.limit);
  o.subscriber.on('message', () => {
    pending = true;
    wake?.();
  });
  await o.subscriber.subscribe(scheduler.keys.wake);

  const handOff = async (id: string) => {
    // A chosen job nearly always sleeps in the delayed set: wake it without reading it first.
    const woke = await new BullJob(generate, '', null, {}, id).promote().then(
      () => true,
      () => false,
    );
    if (woke) return;
    const job = await BullJob.fromId(generate, id);
    const state = job ? await job.getState() : 'unknown';
    if (state === 'delayed') {
      // Another worker may have woken it a moment ago: that is as good.
      await job!.promote().catch(() => {});
    } else if (state === 'completed' || state === 'failed' || state === 'unknown') {
      await scheduler.release(id);
    }
  };
  // Slots this process's generators give back go straight on (release.lua), woken here.
  const detach = scheduler.attach(o.limit, async (ids) => {
    for (const id of ids) await handOff(id).catch((err: Error) => log.debug({ err: err.message, job: id }, 'wake failed: its slot lapses back'));
  });

  const loop = async () => {
    while (!stopped) {
      try {
        pending = false;
        const ids = await scheduler.dispatch(o.limit);
        for (const id of ids) await handOff(id);
        if (ids.length > 0 || pending) continue;
      } catch (err) {
        // Redis away: the connection reports it; look again after the idle wait.
        log.debug({ err: (err as Error).message }, 'dispatch failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.idleMs ?? DEFAULTS.dispatchIdleMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };
  const running = loop();
  return {
    async stop() {
      detach();
      stopped = true;
      wake?.();
      await running;
      await o.subscriber.unsubscribe().catch(() => {});
    },
  };
}
