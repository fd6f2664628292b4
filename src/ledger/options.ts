import type { RedisConnection as Redis, RedisTarget } from '../redis-connection.js';
import { DEFAULTS } from '../defaults.js';
import type { LedgerKeys } from './keys.js';
import type { OpContext } from './ops/context.js';

export interface LedgerOptions {
  /** An ioredis connection (left open by close()), or a URL or a cluster's nodes (closed by close()). */
  redis: Redis | RedisTarget;
  /** Key prefix; tests use a fresh one each. Default "vidgate". */
  prefix?: string;
  /**
   * Milliseconds since the epoch, replacing Redis's clock (the default) for leases and windows;
   * tests move it to cross windows and leases.
   */
  clock?: () => number;
  /** Who is acting, for the audit stream. */
  actor?: string;
  defaultLeaseMs?: number;
  /** Approximate bound on each team's audit stream. */
  auditMaxLen?: number;
  /** How long a resolved or rejected reservation is kept for idempotent replays. */
  retentionMs?: number;
  /** How long a day of spend history is kept after its last write. */
  historyRetentionMs?: number;
}

/** What every operation's argument builder needs, from the options and their defaults. */
export function opContext(keys: LedgerKeys, opts: LedgerOptions): OpContext {
  return {
    keys,
    actor: opts.actor ?? `pid-${process.pid}`,
    defaultLeaseMs: opts.defaultLeaseMs ?? DEFAULTS.leaseMs,
    auditMaxLen: String(opts.auditMaxLen ?? DEFAULTS.auditMaxLen),
    retentionMs: String(opts.retentionMs ?? DEFAULTS.reservationRetentionMs),
    historyRetentionMs: String(opts.historyRetentionMs ?? DEFAULTS.historyRetentionMs),
    historyTopJobs: String(DEFAULTS.historyTopJobs),
  };
}
