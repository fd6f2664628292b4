import type { RawStanding } from './account.js';

/** Where a job stands on the provider account, as the client, the CLI and the service show it. */
export interface QueueStanding {
  account: string;
  /** `waiting` for a slot, or `running` (it holds one). */
  state: 'waiting' | 'running';
  /** Jobs of its team ahead of it in line (0: it is next for its team). */
  position: number;
  /** Slots its team holds now, its share and cap, and the account's slots held of its limit. */
  teamRunning: number;
  share: number;
  maxConcurrent: number | null;
  accountHeld: number;
  accountLimit: number | null;
  /** The mean of the recent tasks' slot times (ms), or null before any ended. */
  recentTaskMs: number | null;
  /** When it should start (ISO time), from its position, its team's slots and recent task times; null when unknown. */
  estimatedStart: string | null;
}

/**
 * The slots the team can expect while it waits: its share of the limit among the teams that hold
 * or want slots (at least one, at most its cap), or more if it holds more now.
 */
export function expectedSlots(s: Pick<RawStanding, 'teamRunning' | 'share' | 'maxConcurrent' | 'limit' | 'busyShares'>): number {
  const limit = s.limit ?? Math.max(1, s.teamRunning);
  const fair = s.busyShares > 0 ? (limit * s.share) / s.busyShares : limit;
  const capped = Math.min(s.maxConcurrent ?? limit, Math.max(1, fair));
  return Math.max(capped, s.teamRunning, 1);
}

/**
 * A start estimate, not a promise: the jobs ahead of it in its team's line, taken by the team's
 * expected slots, each slot turning over in the mean recent task time; the first turnover comes
 * after half a task on average (the running tasks are part way through).
 */
export function standingOf(account: string, raw: RawStanding, nowMs: number): QueueStanding {
  const mean = raw.durationsMs.length ? raw.durationsMs.reduce((a, b) => a + b, 0) / raw.durationsMs.length : null;
  let estimatedStart: string | null = null;
  if (raw.state === 'running') estimatedStart = null;
  else if (mean !== null) estimatedStart = new Date(nowMs + Math.round(mean * (raw.ahead / expectedSlots(raw) + 0.5))).toISOString();
  return {
    account,
    state: raw.state,
    position: raw.ahead,
    teamRunning: raw.teamRunning,
    share: raw.share,
    maxConcurrent: raw.maxConcurrent,
    accountHeld: raw.held,
    accountLimit: raw.limit,
    recentTaskMs: mean === null ? null : Math.round(mean),
    estimatedStart,
  };
}
