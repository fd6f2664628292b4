import { EventEmitter } from 'node:events';
import { isRedisTarget, openConnection, type RedisConnection as Redis } from '../redis-connection.js';
import { InputError } from '../errors.js';
import { parseOrThrow } from '../validation.js';
import { ReservationId } from '../names.js';
import { LedgerKeys } from './keys.js';
import { Locations } from './locations.js';
import { isRetry, LedgerClock, type Instant, type Retry } from './clock.js';
import {
  BudgetInput,
  CommitInput,
  ExtendInput,
  TopUpInput,
  ReconcileInput,
  ReleaseInput,
  type ReserveInput,
  type Alert,
  type AuditEntry,
  type BudgetView,
  type ExtendResult,
  type ReconcileResult,
  type ReservationView,
  type ResolveResult,
  type ReserveResult,
  type TopUpResult,
} from './schema.js';
import { scriptRunner, type ScriptName, type ScriptRunner } from './scripts.js';
import type { Located, OpContext, ScriptCall } from './ops/context.js';
import { parseReservation, type EncodedReserveInput } from './encoded-candidate.js';
import { decodeReserve, locatedBy, reserveCall, type ReserveReply } from './ops/reserve.js';
import { decodeResolve, type ResolveWire } from './ops/resolve.js';
import { commitCall } from './ops/commit.js';
import { releaseCall } from './ops/release.js';
import { expireCall } from './ops/expire-due.js';
import { decodeExtend, extendCall } from './ops/extend.js';
import { decodeTopUp, topUpCall, type TopUpWire } from './ops/top-up.js';
import { setBudgetCall } from './ops/set-budget.js';
import { decodeGetBudgets, getBudgetCall, type GetBudgetWire, type Scope } from './ops/get-budget.js';
import { readAudit } from './ops/audit.js';
import { decodeReconcile, reconcileCall, type ReconcileWire } from './ops/reconcile.js';
import { opContext, type LedgerOptions } from './options.js';
import { HistoryQuery, RejectInput, type HistoryRow, type TopJob } from './history.js';
import { decodeReject, rejectCall, type RejectResult, type RejectWire } from './ops/reject.js';
import { daysBetween, monthsBetween, readHistory, readTopJobs } from './ops/history.js';
import { DEFAULTS } from '../defaults.js';

export type { LedgerOptions } from './options.js';

type Settle = 'commit' | 'release' | 'expire-due';
/** Builds a settling script's call for the reservation where it sits. */
type Build = (at: Instant, located: Located) => ScriptCall;

/**
 * The budget ledger: two-phase reservations (reserve → commit | release | expire) against team
 * and project budgets in Redis, each operation one atomic Lua script (the modules in ./ops build
 * its arguments and decode its reply).
 */
export class Ledger extends EventEmitter<{ alert: [Alert] }> {
  readonly keys: LedgerKeys;
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly run: ScriptRunner;
  private readonly clock: LedgerClock;
  private readonly ctx: OpContext;
  private readonly locations: Locations;

  constructor(opts: LedgerOptions) {
    super();
    this.ownsConnection = isRedisTarget(opts.redis);
    this.redis = isRedisTarget(opts.redis) ? openConnection(opts.redis, { maxRetriesPerRequest: null }) : opts.redis;
    this.keys = new LedgerKeys(opts.prefix ?? DEFAULTS.prefix);
    this.run = scriptRunner(this.redis);
    this.clock = new LedgerClock(opts.clock);
    this.locations = new Locations(this.redis, this.keys);
    this.ctx = opContext(this.keys, opts);
  }

  async setBudget(input: BudgetInput): Promise<{ changed: boolean }> {
    const b = parseOrThrow(BudgetInput, input, 'budget');
    const reply = await this.json<{ changed: boolean }>('set-budget', setBudgetCall(this.ctx, b, this.clock.sample()));
    await this.redis.sadd(this.keys.teams(), b.team);
    return reply;
  }

  /** The budget and its balances in the current window (on Redis's clock), or null when none is set. */
  async getBudget(scope: { team: string; project?: string }): Promise<BudgetView | null> {
    const [view] = await this.getBudgets(scope.team, scope.project === undefined ? [] : [scope.project], false);
    return view!;
  }

  /** A team's budget and some of its projects', in one read: `[team, ...projects]`, null where none is set. */
  async getBudgets(team: string, projects: string[], withTeam = true): Promise<(BudgetView | null)[]> {
    const name = (v: string, where: string) => parseOrThrow(BudgetInput.shape.team, v, where);
    const scopes: Scope[] = [...(withTeam || projects.length === 0 ? [{ team: name(team, 'team') }] : []), ...projects.map((p) => ({ team: name(team, 'team'), project: name(p, 'project') }))];
    const ask = async (at: Instant) => decodeGetBudgets(scopes, await this.json<GetBudgetWire>('get-budget', getBudgetCall(this.ctx, scopes, at)));
    const at = this.clock.sample();
    return this.onScriptWindows(at, await ask(at), ask);
  }

  /**
   * Reserves the first candidate that fits every scope (project, and team when it has a budget),
   * atomically; or none. The same reservation id returns the original result. Candidates are
   * plain (validated and encoded per call) or all EncodedCandidates (done once by their maker).
   */
  async reserve(input: ReserveInput | EncodedReserveInput): Promise<ReserveResult> {
    const r = parseReservation(input);
    const ask = async (at: Instant) => {
      const { keys, args } = reserveCall(this.ctx, r, at);
      return decodeReserve(r.reservationId, (await this.run('reserve', keys, args)) as ReserveReply);
    };
    const at = this.clock.sample();
    // Both go out before either reply is awaited: one round trip. The locator is set first-wins.
    const retention = Number(this.ctx.retentionMs);
    const locating = this.redis.set(this.keys.locator(r.reservationId), r.team, 'PX', retention, 'NX', 'GET');
    const [owner, first] = await Promise.all([locating, ask(at)]);
    const result = await this.onScriptWindows(at, first, ask);
    if (owner !== null && owner !== r.team) {
      if (result.status === 'reserved' && !result.replayed) {
        await this.settle('release', locatedBy(r.team, r.project, result), (at, l) => releaseCall(this.ctx, r.reservationId, at, l, 'id reused'));
      }
      throw new InputError(`reservation id ${r.reservationId} already belongs to team ${owner}`, { where: 'reservationId' });
    }
    if (result.status === 'reserved') {
      if (!result.replayed) this.locations.remember(r.reservationId, locatedBy(r.team, r.project, result));
      for (const a of result.alerts) this.emit('alert', a);
    }
    return result;
  }

  /** Settles a reservation with what the provider billed. Once: later calls replay the outcome. */
  async commit(input: CommitInput): Promise<ResolveResult> {
    const c = parseOrThrow(CommitInput, input, 'commit');
    return this.resolve('commit', c.reservationId, (at, located) => commitCall(this.ctx, c.reservationId, at, located, c.actual));
  }

  async release(input: ReleaseInput): Promise<ResolveResult> {
    const r = parseOrThrow(ReleaseInput, input, 'release');
    return this.resolve('release', r.reservationId, (at, located) => releaseCall(this.ctx, r.reservationId, at, located, r.reason ?? ''));
  }

  async extend(input: ExtendInput): Promise<ExtendResult> {
    const e = parseOrThrow(ExtendInput, input, 'extend');
    const team = await this.locations.teamOf(e.reservationId);
    if (!team) return { status: 'unknown', reservationId: e.reservationId, extended: false };
    return this.extendIn(team, e.reservationId, e.leaseMs, e.terms);
  }

  private async extendIn(team: string, id: string, leaseMs: number, terms?: readonly [string, string]): Promise<ExtendResult> {
    return decodeExtend(await this.json('extend', extendCall(this.ctx, team, id, this.clock.sample(), leaseMs, terms)));
  }

  /**
   * Raises a pending reservation to `amount` (an upward fallback) if every scope still has the
   * headroom; otherwise changes nothing and says why.
   */
  async topUp(input: TopUpInput): Promise<TopUpResult> {
    const t = parseOrThrow(TopUpInput, input, 'top-up');
    const reply = await this.onRecorded('top-up', t.reservationId, (at, l) => topUpCall(this.ctx, t.reservationId, at, l, t.amount));
    return reply ? decodeTopUp(reply as TopUpWire) : { status: 'unknown', reservationId: t.reservationId, toppedUp: false };
  }

  /**
   * Expires every reservation whose lease has run out on Redis's clock, across all teams with
   * budgets. Safe to run in several processes at once. Returns the reservations it expired. A
   * reservation for which `keep` answers true (its job is still queued, say) gets a new lease of
   * `leaseMs` instead.
   */
  async expireDue(opts: { batch?: number; keep?: (reservationId: string) => Promise<boolean>; leaseMs?: number } = {}): Promise<ResolveResult[]> {
    const expired: ResolveResult[] = [];
    const now = await this.clock.now(this.redis);
    for (const team of await this.redis.smembers(this.keys.teams())) {
      const due = await this.redis.zrangebyscore(this.keys.leases(team), '-inf', now, 'LIMIT', 0, opts.batch ?? 500);
      for (const id of due) {
        if (opts.keep && (await opts.keep(id))) {
          await this.extendIn(team, id, opts.leaseMs ?? this.ctx.defaultLeaseMs);
          continue;
        }
        // With the team given, locate always answers (an id gone meanwhile: the script says unknown).
        const out = await this.settle('expire-due', (await this.locations.locate(id, team))!, (at, l) => expireCall(this.ctx, id, at, l));
        if (out.status === 'expired' && !out.replayed) expired.push(out);
      }
    }
    return expired;
  }

  /**
   * Brings what a finished reservation charged to what the provider billed in all (reconciliation):
   * the difference goes into spent, once. A pending reservation is left to commit or release.
   */
  async reconcile(input: ReconcileInput): Promise<ReconcileResult> {
    const r = parseOrThrow(ReconcileInput, input, 'reconcile');
    const reply = await this.onRecorded('reconcile', r.reservationId, (at, l) => reconcileCall(this.ctx, r.reservationId, at, l, r.billed));
    return reply ? decodeReconcile(reply as ReconcileWire) : { status: 'unknown', reservationId: r.reservationId, adjusted: false };
  }

  /**
   * Records a job the router rejected before any reservation, once per id: the history counts
   * it the first time; a retry (or any later call for the id) finds the record and writes nothing.
   */
  async reject(input: RejectInput): Promise<RejectResult> {
    const r = parseOrThrow(RejectInput, input, 'rejection');
    const ask = async (at: Instant) => decodeReject(await this.json<RejectWire>('reject', rejectCall(this.ctx, r, at)));
    const at = this.clock.sample();
    return this.onScriptWindows(at, await ask(at), ask);
  }

  /**
   * The spend history of a team (or one of its projects) from one UTC day to another, both
   * included: one row per day, project and model that saw anything, oldest day first.
   */
  async history(query: HistoryQuery): Promise<HistoryRow[]> {
    const q = this.historyQuery(query);
    return readHistory(this.redis, this.keys, q.team, daysBetween(q.from, q.to), q.project);
  }

  /** The most expensive jobs of the months the days touch (each month keeps DEFAULTS.historyTopJobs), dearest first. */
  async topJobs(query: HistoryQuery & { limit?: number }): Promise<TopJob[]> {
    const q = this.historyQuery({ team: query.team, project: query.project, from: query.from, to: query.to });
    return readTopJobs(this.redis, this.keys, q.team, monthsBetween(q.from, q.to), query.limit ?? DEFAULTS.historyTopJobs, q.project);
  }

  private historyQuery(query: HistoryQuery) {
    const q = parseOrThrow(HistoryQuery, query, 'history');
    const days = (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 + 1;
    if (days > DEFAULTS.historyMaxDays) throw new InputError(`history: from ${q.from} to ${q.to} is ${days} days; at most ${DEFAULTS.historyMaxDays} at once`, { where: 'from' });
    return q;
  }

  /** How a reservation stands now, from its record; null when there is none (never made, or past retention). */
  async inspect(reservationId: string): Promise<ReservationView | null> {
    return this.locations.inspect(parseOrThrow(ReservationId, reservationId, 'reservationId'));
  }

  /** The newest audit entries of a team, oldest first. */
  async audit(team: string, opts: { count?: number; after?: string } = {}): Promise<AuditEntry[]> {
    return readAudit(this.redis, this.keys, parseOrThrow(BudgetInput.shape.team, team, 'team'), opts);
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit();
  }

  private async json<T>(name: ScriptName, { keys, args }: ScriptCall): Promise<T> {
    return JSON.parse((await this.run(name, keys, args)) as string) as T;
  }

  /** A script saw other windows than the keys were built for: build them from its time, once. */
  private async onScriptWindows<T>(at: Instant, reply: T | Retry, again: (at: Instant) => Promise<T | Retry>): Promise<T> {
    if (!isRetry(reply)) return reply;
    const second = await again(this.clock.correct(reply.now, at));
    if (isRetry(second)) throw new Error('ledger: the budget window changed during the call; try again');
    return second;
  }

  /** Runs a script on a reservation where its record says it sits; null when there is no record. */
  private async onRecorded(name: ScriptName, id: string, build: Build): Promise<{ status: string } | null> {
    const located = await this.locations.locate(id);
    if (!located) return null;
    return this.checked(id, await this.json<{ status: string }>(name, build(this.clock.sample(), located)));
  }

  private checked<T extends { status: string }>(id: string, reply: T): T {
    if (reply.status === 'stale-keys') throw new Error(`ledger: reservation ${id} recorded other keys than were passed`);
    return reply;
  }

  private async resolve(op: 'commit' | 'release', rawId: string, build: Build): Promise<ResolveResult> {
    const id = parseOrThrow(ReservationId, rawId, 'reservationId');
    const located = await this.locations.locate(id);
    if (!located) return { status: 'unknown', reservationId: id, replayed: false };
    return this.settle(op, located, build);
  }

  private async settle(op: Settle, located: Located, build: Build): Promise<ResolveResult> {
    const call = build(this.clock.sample(), located);
    const id = call.args[0] as string; // ARGV[1] of every script
    const result = this.checked(id, decodeResolve(await this.json<ResolveWire>(op, call))) as ResolveResult;
    this.locations.forget(id);
    if ('alerts' in result) for (const a of result.alerts) this.emit('alert', a);
    return result;
  }
}

export function createLedger(opts: LedgerOptions): Ledger {
  return new Ledger(opts);
}
