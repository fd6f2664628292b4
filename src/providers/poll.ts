import { DEFAULTS } from '../defaults.js';
import type { Provider, TaskHandle, TaskState } from './provider.js';

export interface FollowOptions {
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Give up (throw) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called after every poll (the generator extends its lease here). */
  onPoll?: (state: TaskState) => Promise<void> | void;
  /** Registers a wake-up (a callback arrived): the next poll happens at once. Returns an unregister. */
  wake?: (now: () => void) => () => void;
  /**
   * A woken poll comes no sooner than this after the last one, so a flood of callbacks costs at
   * most one provider read per gap (default: the first interval, at most a second).
   */
  minWakeGapMs?: number;
}

/**
 * Polls a task with backoff until it succeeds or fails. A poll never charges anything. The wake-up
 * is registered for the whole follow, so a callback that arrives while a poll is under way is not
 * lost: the next poll comes at once (no sooner than the minimum gap).
 */
export async function followTask(provider: Provider, handle: TaskHandle, opts: FollowOptions = {}): Promise<TaskState> {
  let interval = opts.intervalMs ?? DEFAULTS.pollIntervalMs;
  const maxInterval = opts.maxIntervalMs ?? DEFAULTS.pollMaxIntervalMs;
  const minWakeGap = opts.minWakeGapMs ?? Math.min(interval, 1000);
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.pollTimeoutMs;
  const deadline = Date.now() + timeoutMs;
  let wakeNow: (() => void) | null = null;
  let wokenDuringPoll = false;
  const unregister = opts.wake?.(() => {
    if (wakeNow) wakeNow();
    else wokenDuringPoll = true;
  });
  try {
    for (;;) {
      if (opts.signal?.aborted) throw new Error(`stopped following task ${handle.taskId}`);
      const polledAt = Date.now();
      const state = await provider.status(handle);
      await opts.onPoll?.(state);
      if (state.status === 'succeeded' || state.status === 'failed') return state;
      if (Date.now() > deadline) throw new Error(`task ${handle.taskId} did not finish within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        let timer = setTimeout(done, interval);
        const early = () => {
          clearTimeout(timer);
          timer = setTimeout(done, Math.max(0, polledAt + minWakeGap - Date.now()));
        };
        function done() {
          clearTimeout(timer);
          wakeNow = null;
          resolve();
        }
        wakeNow = early;
        if (wokenDuringPoll) early();
        wokenDuringPoll = false;
      });
      interval = Math.min(maxInterval, Math.round(interval * 1.5));
    }
  } finally {
    unregister?.();
  }
}
