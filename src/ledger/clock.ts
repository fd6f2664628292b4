import type { RedisConnection as Redis } from '../redis-connection.js';

/** A script's answer when the windows it was given are not those of its clock: its now. */
export interface Retry {
  status: 'retry';
  now: number;
}

export function isRetry(reply: unknown): reply is Retry {
  return typeof reply === 'object' && reply !== null && (reply as { status?: unknown }).status === 'retry';
}

/** One reading of the time for one script call. */
export interface Instant {
  /** The script's ARGV now: the test clock's time, or empty for Redis's own TIME. */
  arg: string;
  /** The best guess of the script's now, to build window keys with before asking. */
  guess: number;
}

/**
 * The ledger's time is Redis's (the scripts read TIME), so hosts whose clocks differ agree on
 * leases and windows. The client still guesses it, since balance keys name their window and
 * must be passed in KEYS: its own clock plus the offset the last correction taught it.
 */
export class LedgerClock {
  private offsetMs = 0;

  /** `explicit`: a test clock that replaces Redis's everywhere. */
  constructor(private readonly explicit?: () => number) {}

  sample(): Instant {
    if (this.explicit) {
      const now = this.explicit();
      return { arg: String(now), guess: now };
    }
    return { arg: '', guess: Date.now() + this.offsetMs };
  }

  /** A script answered with its own time: guess by it from now on. */
  correct(scriptNow: number, sampled: Instant): Instant {
    this.offsetMs = scriptNow - Date.now();
    return { arg: sampled.arg, guess: scriptNow };
  }

  /** The ledger's time itself, for reads outside a script (which leases are due). */
  async now(redis: Redis): Promise<number> {
    if (this.explicit) return this.explicit();
    const [seconds, microseconds] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(microseconds) / 1000);
  }
}
