import { readFileSync } from 'node:fs';
import type { RedisConnection as Redis } from '../../redis-connection.js';
import { DEFAULTS } from '../../defaults.js';
import { expandIncludes } from '../../ledger/scripts.js';
import { scriptCommand, type ScriptCall } from '../../redis-script.js';
import { rankOf } from './rank.js';

const read = (file: string) => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
const lua = (name: string) => expandIncludes(read(`${name}.lua`), (file) => read(`include/${file}`));
const SCRIPTS = { enqueue: lua('enqueue'), dispatch: lua('dispatch'), renew: lua('renew'), hold: lua('hold'), release: lua('release'), standing: lua('standing') };

/** What the account's structures are called, in the order every script takes them. */
const KEY_NAMES = ['ready', 'jobs', 'holders', 'holding', 'running', 'waiting', 'teams', 'seq', 'events', 'durations', 'config', 'order'] as const;

/**
 * Every key of one provider account, under one hash tag so each script's keys share a Cluster
 * slot. The account name is a validated `Name` (no `{`, `}` or `:`); team names and job ids are
 * only ever members and fields inside these keys, never key names.
 */
export function accountKeys(prefix: string, account: string) {
  const base = `${prefix}:sched:{acct:${account}}`;
  const keys = Object.fromEntries(KEY_NAMES.map((k) => [k, `${base}:${k}`])) as Record<(typeof KEY_NAMES)[number], string>;
  return { ...keys, all: KEY_NAMES.map((k) => keys[k]), wake: `${base}:wake` };
}

export interface EnqueueInput {
  id: string;
  team: string;
  stage: 'draft' | 'production';
  priority?: number | undefined;
  /** The team's policy: its share of the account, and its cap (none when undefined). */
  share?: number | undefined;
  maxConcurrent?: number | undefined;
}

/** What standing.lua answers, before the estimate is made of it. */
export interface RawStanding {
  state: 'running' | 'waiting';
  ahead: number;
  teamRunning: number;
  share: number;
  maxConcurrent: number | null;
  held: number;
  limit: number | null;
  busyShares: number;
  durationsMs: number[];
}

/**
 * One provider account's slots, shared by every worker and every team on it: the fair scheduler's
 * state in Redis, one Lua script per operation (see ./lua). Which team gets the next free slot is
 * decided inside dispatch.lua, atomically with taking the slot.
 */
export class AccountScheduler {
  readonly keys: ReturnType<typeof accountKeys>;
  private readonly call: Record<keyof typeof SCRIPTS, ScriptCall>;
  private handOn: { limit: number; wake: (ids: string[]) => Promise<void> } | undefined;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly account: string = DEFAULTS.account,
    /** `eventsMaxLen`: about how many events the account's stream keeps; 0 records none. */
    readonly opts: { slotLeaseMs?: number; eventsMaxLen?: number } = {},
  ) {
    this.keys = accountKeys(prefix, account);
    this.call = {
      enqueue: scriptCommand(redis, 'vidgateSchedEnqueue', SCRIPTS.enqueue),
      dispatch: scriptCommand(redis, 'vidgateSchedDispatch', SCRIPTS.dispatch),
      renew: scriptCommand(redis, 'vidgateSchedRenew', SCRIPTS.renew),
      hold: scriptCommand(redis, 'vidgateSchedHold', SCRIPTS.hold),
      release: scriptCommand(redis, 'vidgateSchedRelease', SCRIPTS.release),
      standing: scriptCommand(redis, 'vidgateSchedStanding', SCRIPTS.standing),
    };
  }

  private get leaseMs() {
    return this.opts.slotLeaseMs ?? DEFAULTS.slotLeaseMs;
  }

  private get maxLen() {
    return this.opts.eventsMaxLen ?? DEFAULTS.schedulerEventsMaxLen;
  }

  /** The job joins its team's line (once: a job the account knows is left as it is). */
  async enqueue(j: EnqueueInput): Promise<boolean> {
    const share = j.share === undefined ? '' : String(j.share);
    const cap = j.share === undefined ? '' : String(j.maxConcurrent ?? 0);
    return (await this.call.enqueue(this.keys.all, [j.id, j.team, rankOf(j.stage, j.priority), share, cap, this.maxLen, this.keys.wake])) === 1;
  }

  /** Hands up to `most` free slots (of `limit`) to the fairest waiting jobs; their ids, in order. */
  async dispatch(limit: number, most: number = DEFAULTS.dispatchBatch): Promise<string[]> {
    return (await this.call.dispatch(this.keys.all, [limit, this.leaseMs, most, this.maxLen])) as string[];
  }

  /**
   * Renews the job's slot: true while it holds one. `force` (a task already running at the
   * provider) takes the slot back if its lease lapsed, even past the limit, so the account counts
   * what the provider runs.
   */
  async hold(id: string, force = false): Promise<boolean> {
    if ((await this.call.renew([this.keys.holders], [id, this.leaseMs])) === 1) return true;
    if (!force) return false;
    return ((await this.call.hold(this.keys.all, [id, this.leaseMs, force ? '1' : '0', this.maxLen])) as number) > 0;
  }

  /**
   * The job is done with the account: its slot (or its place in line) goes back. Idempotent. In a
   * process whose dispatcher is attached, the freed slot goes straight on to the fairest waiting
   * job, which the dispatcher wakes; otherwise every dispatcher is woken to hand it out.
   */
  async release(id: string): Promise<'slot' | 'waiting' | ''> {
    const on = this.handOn;
    const args = [id, this.maxLen, this.keys.wake, DEFAULTS.schedulerDurationsKept, on ? on.limit : '', this.leaseMs, DEFAULTS.dispatchBatch];
    const [was, ...next] = (await this.call.release(this.keys.all, args)) as string[];
    if (on && next.length > 0) await on.wake(next);
    return was as 'slot' | 'waiting' | '';
  }

  /**
   * Lets release() hand freed slots on (of `limit`), waking the jobs that took them with `wake`,
   * which must not throw (a job it fails to wake keeps its slot until the lease lapses, then goes
   * back in line). Set by the process's dispatcher, for as long as it runs.
   */
  attach(limit: number, wake: (ids: string[]) => Promise<void>): () => void {
    const on = { limit, wake };
    this.handOn = on;
    return () => {
      if (this.handOn === on) this.handOn = undefined;
    };
  }

  /** Records the account's limit where readers of standings find it. */
  async setLimit(limit: number): Promise<void> {
    await this.redis.hset(this.keys.config, 'limit', limit);
  }

  async standing(team: string, id: string): Promise<RawStanding | null> {
    const r = (await this.call.standing(this.keys.all, [id, team, DEFAULTS.schedulerDurationsKept])) as (string | number)[] | null;
    if (!r) return null;
    const [state, ahead, teamRunning, cfg, held, limit, busyShares, ...durations] = r;
    const [share, cap] = String(cfg).split(' ');
    return {
      state: state === 'running' ? 'running' : 'waiting',
      ahead: Number(ahead),
      teamRunning: Number(teamRunning),
      share: Number(share),
      maxConcurrent: Number(cap) > 0 ? Number(cap) : null,
      held: Number(held),
      limit: limit === '' ? null : Number(limit),
      busyShares: Number(busyShares),
      durationsMs: durations.map(Number),
    };
  }

  /** Slots held now, and jobs waiting, per team: what an operator (or a test) looks at. */
  async usage(): Promise<{ held: number; running: Map<string, number>; waiting: Map<string, number> }> {
    const [held, running, waiting] = await Promise.all([this.redis.zcard(this.keys.holders), this.redis.hgetall(this.keys.running), this.redis.hgetall(this.keys.waiting)]);
    const asMap = (h: Record<string, string>) => new Map(Object.entries(h).map(([k, v]) => [k, Number(v)]));
    return { held, running: asMap(running), waiting: asMap(waiting) };
  }
}
