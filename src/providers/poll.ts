import type { Provider, TaskHandle, TaskState } from './provider.js';

export interface FollowOptions {
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Give up (throw) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called after every poll (the generator extends its lease here). */
  onPoll?: (state: TaskState) => Promise<void> | void;
  /** Resolves early when a callback reports the task finished. */
  finished?: Promise<TaskState>;
}

/** Polls a task with backoff until it succeeds or fails. A poll never charges anything. */
export async function followTask(provider: Provider, handle: TaskHandle, opts: FollowOptions = {}): Promise<TaskState> {
  let interval = opts.intervalMs ?? 2000;
  const maxInterval = opts.maxIntervalMs ?? 15_000;
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  let early: TaskState | undefined;
  void opts.finished?.then((s) => (early = s));
  for (;;) {
    if (opts.signal?.aborted) throw new Error(`stopped following task ${handle.taskId}`);
    const state = early ?? (await provider.status(handle));
    await opts.onPoll?.(state);
    if (state.status === 'succeeded' || state.status === 'failed') return state;
    if (Date.now() > deadline) throw new Error(`task ${handle.taskId} did not finish within ${opts.timeoutMs} ms`);
    const pause = new Promise<void>((r) => setTimeout(r, interval));
    await (opts.finished ? Promise.race([pause, opts.finished.then(() => undefined)]) : pause);
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
}
