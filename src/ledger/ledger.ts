import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { BoundedCache } from '../bounded-cache.js';
import { InputError } from '../errors.js';
import { formatMoney, fromMicros, microsToMoneyText, toMicros } from '../money.js';
import { parseOrThrow } from '../validation.js';
import { ReservationId } from '../names.js';
import { LedgerKeys } from './keys.js';
import {
  BudgetInput,
  CommitInput,
  ExtendInput,
  TopUpInput,
  ReleaseInput,
  ReserveInput,
  type Alert,
  type AuditEntry,
  type BudgetView,
  type ExtendResult,
  type ResolveResult,
  type ReserveResult,
  type TopUpResult,
} from './schema.js';
import { scriptRunner, type ScriptName, type ScriptRunner } from './scripts.js';
import { Period, windowsAt } from './windows.js';

export interface LedgerOptions {
  /** An ioredis connection (left open by close()) or a URL (closed by close()). */
  redis: Redis | string;
  /** Key prefix; tests use a fresh one each. Default "vidgate". */
  prefix?: string;
  /** Milliseconds since the epoch; tests move it to cross windows and leases. */
  clock?: () => number;
  /** Who is acting, for the audit stream. */
  actor?: string;
  defaultLeaseMs?: number;
  /** Approximate bound on each team's audit stream. */
  auditMaxLen?: number;
  /** How long a resolved or rejected reservation is kept for idempotent replays. */
  retentionMs?: number;
}

const MICRO_FIELDS = new Set(['amount', 'reserved', 'actual', 'charged', 'overrun', 'refunded', 'limit', 'spent', 'available']);
const PPM = 1_000_000;
/** Audit fields that hold micro-units: amounts, limits and the balances after the operation. */
const AUDIT_MICRO_FIELD = /^(amount|charged|actual|limit|previousLimit|spent|reserved|(team|project)\.(spent|reserved))$/;

/** Lua replies carry micro-units as integer strings; the API speaks decimal strings. */
function fromLua(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => fromLua(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // cjson encodes an empty Lua table as {}; every table we return empty is a list.
      out[k] = (k === 'scopes' || k === 'alerts') && !Array.isArray(v) ? [] : fromLua(v, k);
    }
    return out;
  }
  if (typeof value === 'string' && MICRO_FIELDS.has(key)) return microsToMoneyText(value);
  if (key === 'threshold') return Number(value) / PPM;
  if (key === 'leaseUntil') return Number(value);
  return value;
}

/** The reserve script's flat reply (see reserve.lua). */
type ReserveReply = [string, number, number, string, string, string, string, string];

function splitRecords(text: string): string[][] {
  return text ? text.split(';').map((r) => r.split('|')) : [];
}

/** The fields a scope view and an alert share: "scope|name|window|…|limit|spent|reserved". */
function scopeBalance([scope, name, window]: string[], limit = '0', spent = '0', reserved = '0') {
  return {
    scope: scope as 'team' | 'project',
    name: name!,
    window: window!,
    limit: microsToMoneyText(limit),
    spent: microsToMoneyText(spent),
    reserved: microsToMoneyText(reserved),
  };
}

function parseReserveReply(reservationId: string, [status, replayed, candidate, amount, leaseUntil, reason, views, alerts]: ReserveReply): ReserveResult {
  const scopes = splitRecords(views).map((v) => ({ ...scopeBalance(v, v[3], v[4], v[5]), available: microsToMoneyText(v[6]!) }));
  if (status === 'rejected') {
    return { status, reservationId, reason: reason as 'insufficient-budget' | 'no-budget', scopes, replayed: replayed === 1 };
  }
  return {
    status: 'reserved',
    reservationId,
    candidate: Number(candidate),
    amount: microsToMoneyText(amount),
    leaseUntil: Number(leaseUntil),
    scopes,
    alerts: splitRecords(alerts).map((a) => ({ ...scopeBalance(a, a[4], a[5], a[6]), threshold: Number(a[3]) / PPM })),
    replayed: replayed === 1,
  };
}

const toPpm = (fraction: number) => Math.round(fraction * PPM);

interface Located {
  team: string;
  scopeKeys: string[];
}

/**
 * The budget ledger: two-phase reservations (reserve → commit | release | expire) against team
 * and project budgets in Redis, each operation one atomic Lua script.
 */
export class Ledger extends EventEmitter<{ alert: [Alert] }> {
  readonly keys: LedgerKeys;
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly run: ScriptRunner;
  private readonly clock: () => number;
  private readonly actor: string;
  private readonly defaultLeaseMs: number;
  private readonly auditMaxLen: string;
  private readonly retentionMs: string;
  /** Reservation id → team and recorded scope keys, so a commit in this process skips the lookup. */
  private readonly located = new BoundedCache<string, Located>(10_000);

  constructor(opts: LedgerOptions) {
    super();
    this.ownsConnection = typeof opts.redis === 'string';
    this.redis = typeof opts.redis === 'string' ? new Redis(opts.redis, { maxRetriesPerRequest: null }) : opts.redis;
    this.keys = new LedgerKeys(opts.prefix ?? 'vidgate');
    this.run = scriptRunner(this.redis);
    this.clock = opts.clock ?? Date.now;
    this.actor = opts.actor ?? `pid-${process.pid}`;
    this.defaultLeaseMs = opts.defaultLeaseMs ?? 5 * 60_000;
    this.auditMaxLen = String(opts.auditMaxLen ?? 100_000);
    this.retentionMs = String(opts.retentionMs ?? 30 * 86_400_000);
  }

  async setBudget(input: BudgetInput): Promise<{ changed: boolean }> {
    const b = parseOrThrow(BudgetInput, input, 'budget');
    const alerts = [...new Set(b.alerts.map(toPpm))].sort((x, y) => x - y).join(',');
    const reply = await this.run('set-budget', [this.keys.budget(b.team, b.project), this.keys.audit(b.team)], [
      toMicros(b.limit),
      b.period,
      alerts,
      this.clock(),
      this.auditMaxLen,
      this.actor,
      b.project === undefined ? 'team' : 'project',
      b.project ?? b.team,
    ]);
    await this.redis.sadd(this.keys.teams(), b.team);
    return JSON.parse(reply) as { changed: boolean };
  }

  /** The budget and its current window's balances, or null when none is set. */
  async getBudget(scope: { team: string; project?: string }): Promise<BudgetView | null> {
    const team = parseOrThrow(BudgetInput.shape.team, scope.team, 'team');
    const project = scope.project === undefined ? undefined : parseOrThrow(BudgetInput.shape.team, scope.project, 'project');
    const cfg = await this.redis.hmget(this.keys.budget(team, project), 'limit', 'period', 'alerts');
    if (cfg[0] === null) return null;
    const period = Period.parse(cfg[1]);
    const window = windowsAt(this.clock())[period];
    const [spentRaw, reservedRaw] = await this.redis.hmget(this.keys.balance(team, project, window), 'spent', 'reserved');
    const limit = fromMicros(cfg[0]!);
    const spent = fromMicros(spentRaw ?? '0');
    const reserved = fromMicros(reservedRaw ?? '0');
    const available = limit.minus(spent).minus(reserved);
    return {
      team,
      ...(project === undefined ? {} : { project }),
      limit: formatMoney(limit),
      period,
      alerts: cfg[2] ? cfg[2].split(',').map((p) => Number(p) / PPM) : [],
      window,
      spent: formatMoney(spent),
      reserved: formatMoney(reserved),
      available: formatMoney(available.isNegative() ? fromMicros('0') : available),
    };
  }

  /**
   * Reserves the first candidate that fits every scope (project, and team when it has a budget),
   * atomically; or none. The same reservation id returns the original result.
   */
  async reserve(input: ReserveInput): Promise<ReserveResult> {
    const r = parseOrThrow(ReserveInput, input, 'reservation');
    const now = this.clock();
    const w = windowsAt(now);
    const k = this.keys;
    const keys = [
      k.reservation(r.team, r.reservationId),
      k.leases(r.team),
      k.audit(r.team),
      k.budget(r.team, r.project),
      ...k.balances(r.team, r.project, w),
      k.budget(r.team),
      ...k.balances(r.team, undefined, w),
    ];
    const args: (string | number)[] = [
      r.reservationId,
      r.team,
      r.project,
      now,
      r.leaseMs ?? this.defaultLeaseMs,
      this.auditMaxLen,
      this.actor,
      w.none,
      w.daily,
      w.weekly,
      w.monthly,
      this.retentionMs,
      r.candidates.length,
    ];
    for (const c of r.candidates) args.push(toMicros(c.cost, 'up'), toPpm(c.ceiling));
    // Both go out before either reply is awaited: one round trip. The locator is set first-wins.
    const locating = this.redis.set(k.locator(r.reservationId), r.team, 'PX', Number(this.retentionMs), 'NX', 'GET');
    const reply = this.run('reserve', keys, args) as unknown as Promise<ReserveReply>;
    const [owner, raw] = await Promise.all([locating, reply]);
    const result = parseReserveReply(r.reservationId, raw);
    const located = (): Located => ({ team: r.team, scopeKeys: this.scopeKeysOf(r.team, r.project, result) });
    if (owner !== null && owner !== r.team) {
      if (result.status === 'reserved' && !result.replayed) await this.resolveWith('release', r.reservationId, located(), ['id reused']);
      throw new InputError(`reservation id ${r.reservationId} already belongs to team ${owner}`, { where: 'reservationId' });
    }
    if (result.status === 'reserved') {
      if (!result.replayed) this.located.set(r.reservationId, located());
      for (const a of result.alerts) this.emit('alert', a);
    }
    return result;
  }

  /** Settles a reservation with what the provider billed. Once: later calls replay the outcome. */
  async commit(input: CommitInput): Promise<ResolveResult> {
    const c = parseOrThrow(CommitInput, input, 'commit');
    return this.resolve('commit', c.reservationId, [toMicros(c.actual, 'up')]);
  }

  async release(input: ReleaseInput): Promise<ResolveResult> {
    const r = parseOrThrow(ReleaseInput, input, 'release');
    return this.resolve('release', r.reservationId, [r.reason ?? '']);
  }

  async extend(input: ExtendInput): Promise<ExtendResult> {
    const e = parseOrThrow(ExtendInput, input, 'extend');
    const team = await this.teamOf(e.reservationId);
    if (!team) return { status: 'unknown', reservationId: e.reservationId, extended: false };
    return this.extendIn(team, e.reservationId, e.leaseMs);
  }

  /** Extending touches no balance, so it needs only the team, not the recorded scopes. */
  private extendIn(team: string, id: string, leaseMs: number): Promise<ExtendResult> {
    return this.runOn<ExtendResult>('extend', id, { team, scopeKeys: [] }, [id, this.clock(), leaseMs, this.auditMaxLen, this.actor]);
  }

  /**
   * Raises a pending reservation to `amount` (an upward fallback) if every scope still has the
   * headroom; otherwise changes nothing and says why.
   */
  async topUp(input: TopUpInput): Promise<TopUpResult> {
    const t = parseOrThrow(TopUpInput, input, 'top-up');
    const located = await this.locate(t.reservationId);
    if (!located) return { status: 'unknown', reservationId: t.reservationId, toppedUp: false };
    return this.runOn<TopUpResult>('top-up', t.reservationId, located, [t.reservationId, toMicros(t.amount, 'up'), this.clock(), this.auditMaxLen, this.actor]);
  }

  /**
   * Expires every reservation whose lease has run out, across all teams with budgets. Safe to run
   * in several processes at once. Returns the reservations it expired. A reservation for which
   * `keep` answers true (its job is still queued, say) gets a new lease of `leaseMs` instead.
   */
  async expireDue(opts: { batch?: number; keep?: (reservationId: string) => Promise<boolean>; leaseMs?: number } = {}): Promise<ResolveResult[]> {
    const expired: ResolveResult[] = [];
    const now = this.clock();
    for (const team of await this.redis.smembers(this.keys.teams())) {
      const due = await this.redis.zrangebyscore(this.keys.leases(team), '-inf', now, 'LIMIT', 0, opts.batch ?? 500);
      for (const id of due) {
        if (opts.keep && (await opts.keep(id))) {
          await this.extendIn(team, id, opts.leaseMs ?? this.defaultLeaseMs);
          continue;
        }
        // With the team given, locate always answers (an id gone meanwhile: the script says unknown).
        const out = await this.resolveWith('expire-due', id, (await this.locate(id, team))!, []);
        if (out.status === 'expired' && !out.replayed) expired.push(out);
      }
    }
    return expired;
  }

  /** The newest audit entries of a team, oldest first. */
  async audit(team: string, opts: { count?: number; after?: string } = {}): Promise<AuditEntry[]> {
    const key = this.keys.audit(parseOrThrow(BudgetInput.shape.team, team, 'team'));
    const rows = opts.after
      ? await this.redis.xrange(key, `(${opts.after}`, '+', 'COUNT', opts.count ?? 1000)
      : (await this.redis.xrevrange(key, '+', '-', 'COUNT', opts.count ?? 1000)).reverse();
    return rows.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) {
        const [name, value] = [flat[i]!, flat[i + 1]!];
        fields[name] = AUDIT_MICRO_FIELD.test(name) && value !== '' ? microsToMoneyText(value) : value;
      }
      fields.team ??= team;
      return { id, op: fields.op ?? '', at: Number(fields.at ?? 0), fields };
    });
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit();
  }

  private scopeKeysOf(team: string, project: string, result: { scopes: { scope: string; window: string }[] }): string[] {
    return result.scopes.flatMap((s) =>
      s.scope === 'project'
        ? [this.keys.balance(team, project, s.window), this.keys.budget(team, project)]
        : [this.keys.balance(team, undefined, s.window), this.keys.budget(team)],
    );
  }

  /** Which team holds a reservation: this process's cache, else the locator. */
  private async teamOf(id: string): Promise<string | null> {
    return this.located.get(id)?.team ?? (await this.redis.get(this.keys.locator(id)));
  }

  /** Which team holds a reservation, and the balance and config keys it recorded. */
  private async locate(id: string, team?: string): Promise<Located | null> {
    const cached = this.located.get(id);
    if (cached && (team === undefined || cached.team === team)) return cached;
    const owner = team ?? (await this.redis.get(this.keys.locator(id)));
    if (!owner) return null;
    // The reserve script records each scope's window: "pw" for the project, "tw" for the team.
    const [project, pw, tw] = await this.redis.hmget(this.keys.reservation(owner, id), 'project', 'pw', 'tw');
    const scopes = [
      ...(project != null && pw != null ? [{ scope: 'project', window: pw }] : []),
      ...(tw != null ? [{ scope: 'team', window: tw }] : []),
    ];
    return { team: owner, scopeKeys: this.scopeKeysOf(owner, project ?? '', { scopes }) };
  }

  private async resolve(op: 'commit' | 'release', rawId: string, extra: string[]): Promise<ResolveResult> {
    const id = parseOrThrow(ReservationId, rawId, 'reservationId');
    const located = await this.locate(id);
    if (!located) return { status: 'unknown', reservationId: id, replayed: false };
    return this.resolveWith(op, id, located, extra);
  }

  private async resolveWith(op: 'commit' | 'release' | 'expire-due', id: string, located: Located, extra: string[]): Promise<ResolveResult> {
    const now = this.clock();
    const args: (string | number)[] =
      op === 'commit'
        ? [id, extra[0]!, now, this.auditMaxLen, this.actor, this.retentionMs]
        : [id, now, this.auditMaxLen, this.actor, this.retentionMs, ...extra];
    const result = await this.runOn<ResolveResult>(op, id, located, args);
    result.replayed = (result.replayed as boolean | undefined) === true;
    this.located.delete(id);
    if ('alerts' in result) for (const a of result.alerts) this.emit('alert', a);
    return result;
  }

  /** Runs a script on one reservation: KEYS are its hash, the lease set, the audit stream, then its scope keys. */
  private async runOn<T>(name: ScriptName, id: string, located: Located, args: (string | number)[]): Promise<T> {
    const k = this.keys;
    const keys = [k.reservation(located.team, id), k.leases(located.team), k.audit(located.team), ...located.scopeKeys];
    const result = fromLua(JSON.parse(await this.run(name, keys, args))) as T & { status: string };
    if (result.status === 'stale-keys') throw new Error(`ledger: reservation ${id} recorded other keys than were passed`);
    return result;
  }
}

export function createLedger(opts: LedgerOptions): Ledger {
  return new Ledger(opts);
}
