import type { Instant } from '../clock.js';
import type { LedgerKeys } from '../keys.js';

/** What every operation's argument builder needs from the ledger. */
export interface OpContext {
  keys: LedgerKeys;
  auditMaxLen: string;
  actor: string;
  retentionMs: string;
  defaultLeaseMs: number;
  historyRetentionMs: string;
  historyTopJobs: string;
}

/** A script call: its KEYS and ARGV. */
export interface ScriptCall {
  keys: string[];
  args: (string | number)[];
}

/**
 * The ARGV every script begins with, in this order: the id it acts on (a reservation, or the
 * budget's scope name), now (empty: the script reads Redis's TIME), the audit stream's length
 * bound, and who acts. The operation's own arguments follow from ARGV[5].
 */
export function commonArgs(ctx: OpContext, id: string, at: Instant): (string | number)[] {
  return [id, at.arg, ctx.auditMaxLen, ctx.actor];
}

/** The scopes a pending reservation recorded (project first), and which window each settles in. */
export interface Located {
  team: string;
  project: string;
  scopes: { scope: 'project' | 'team'; window: string }[];
  /** The day the spend history keeps it in; null for a record older than the history. */
  day: string | null;
}

/**
 * KEYS and ARGV that act on one reservation: KEYS are its hash, the lease set, the audit stream,
 * its history's day hash and month's dearest jobs, then (balance, config) per recorded scope;
 * `own` follows the common ARGV, then the history's key stem, retention and top size, and per
 * scope the balance key without its window and the config key, by which the script checks
 * that these are the keys of the day, scopes and windows the reservation recorded.
 */
export function reservationCall(ctx: OpContext, id: string, at: Instant, located: Located, own: (string | number)[]): ScriptCall {
  const k = ctx.keys;
  const scopeKeys: string[] = [];
  const stems: string[] = [];
  // A record older than the history has no day: the script then writes none (any key will do).
  const day = located.day ?? '';
  for (const s of located.scopes) {
    const project = s.scope === 'project' ? located.project : undefined;
    const config = k.budget(located.team, project);
    scopeKeys.push(k.balance(located.team, project, s.window), config);
    stems.push(k.balanceStem(located.team, project), config);
  }
  return {
    keys: [k.reservation(located.team, id), k.leases(located.team), k.audit(located.team), k.history(located.team, day), k.historyTop(located.team, day.slice(0, 7)), ...scopeKeys],
    args: [...commonArgs(ctx, id, at), ...own, k.historyStem(located.team), ctx.historyRetentionMs, ctx.historyTopJobs, ...stems],
  };
}
