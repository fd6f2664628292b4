import type { Ledger } from './ledger.js';
import type { ResolveResult } from './schema.js';

export interface Reaper {
  stop(): Promise<void>;
}

export interface ReaperOptions {
  intervalMs?: number;
  /** Answers true for a reservation that must outlive its lease (its job is still queued). */
  keep?: (reservationId: string) => Promise<boolean>;
  /** The new lease of a kept reservation. */
  leaseMs?: number;
  onExpired?: (r: ResolveResult) => void;
  onError?: (err: unknown) => void;
}

/**
 * Expires overdue reservations every `intervalMs` until stopped. Several reapers (one per worker
 * process) may run at once: the expire script re-checks each lease atomically.
 */
export function startReaper(ledger: Ledger, opts: ReaperOptions = {}): Reaper {
  const intervalMs = opts.intervalMs ?? 5_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      for (const r of await ledger.expireDue({ keep: opts.keep, leaseMs: opts.leaseMs })) opts.onExpired?.(r);
    } catch (err) {
      opts.onError?.(err);
    }
    if (!stopped) timer = setTimeout(() => (running = tick()), intervalMs);
  };
  running = tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
