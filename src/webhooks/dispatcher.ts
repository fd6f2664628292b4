import type { Queue } from 'bullmq';
import { queuePrefix, type RedisConnection as Redis } from '../redis-connection.js';
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import { decodeAuditEntry } from '../ledger/ops/audit.js';
import type { BudgetView } from '../ledger/schema.js';
import { decisionEvent, entryMs, fieldsOf, finishedJob, openField, outcomeEvent, resolution, resolvedEvent, thresholdEvent, type OpenThreshold } from './events.js';
import { DISPATCH_GROUP, SOURCE_QUEUES, WebhookKeys, type SourceQueue } from './keys.js';
import type { DeliveryJob, StoredConfig, WebhookEvent } from './schema.js';
import { readConfig } from './store.js';
import { readDecision } from '../queue/records.js';

export interface DispatcherOptions {
  /** A connection for plain commands (the dispatcher never blocks on it). */
  redis: Redis;
  prefix: string;
  ledger: Ledger;
  deliveries: Queue<DeliveryJob>;
  /** This process's consumer name in the group. */
  consumer: string;
  pollMs: number;
  reclaimIdleMs: number;
  resolveCheckMs: number;
  batch: number;
  job: { attempts: number; backoffMs: number; retentionMs: number };
  log: Logger;
}

type Entry = [id: string, fields: string[]];

/** Orders two stream ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}

/**
 * Turns durable sources into delivery jobs: the intake and generate queues' event streams
 * (BullMQ writes a job's `completed`/`failed` entry, with its return value, in the same Lua step
 * that finishes it) and each configured team's audit stream (the ledger writes `alert` in the
 * step that fires it). Each is read with a consumer group; an entry is acknowledged only after
 * its delivery jobs are added, under ids derived from the entry, so a dispatcher killed in between
 * leaves the entry pending, another dispatcher claims it, and re-adding changes nothing.
 */
export class Dispatcher {
  private readonly keys: WebhookKeys;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastReclaim = 0;
  private lastResolveCheck = 0;

  constructor(private readonly o: DispatcherOptions) {
    this.keys = new WebhookKeys(o.prefix, queuePrefix(o.prefix, o.redis));
  }

  start(): void {
    this.loop = (async () => {
      await this.checkTrimmed().catch(() => {});
      while (!this.stopped) {
        let n = 0;
        try {
          n = await this.tick();
        } catch (err) {
          this.o.log.error({ err: (err as Error).message }, 'webhook dispatcher failed; retrying');
        }
        if (n === 0 && !this.stopped) await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.o.pollMs);
          this.wake = () => (clearTimeout(t), resolve());
        });
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /**
   * Says so when a queue's event stream was trimmed past entries the group never read (every
   * dispatcher was down while more than the bound was written): those events are gone.
   */
  async checkTrimmed(): Promise<string[]> {
    const lost: string[] = [];
    for (const q of SOURCE_QUEUES) {
      const key = this.keys.queueEvents(q);
      const groups = (await this.o.redis.xinfo('GROUPS', key).catch(() => [])) as (string | number)[][];
      const group = groups.map((g) => fieldsOf(g.map(String))).find((g) => g.get('name') === DISPATCH_GROUP);
      // Trimming removes the oldest entries first: none unread is gone while the oldest left is
      // one the group read. Past that, the group's count of entries read (Redis 7) says whether
      // more were written after what it read than are left.
      const info = fieldsOf(((await this.o.redis.xinfo('STREAM', key).catch(() => [])) as unknown[]).map((v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '')));
      const first = info.get('recorded-first-entry-id');
      const last = group?.get('last-delivered-id');
      const read = group?.get('entries-read');
      if (!first || !last || !read || read === 'null' || compareIds(last, first) >= 0) continue;
      if (BigInt(info.get('entries-added') ?? '0') - BigInt(read) <= BigInt(info.get('length') ?? '0')) continue;
      lost.push(q);
      this.o.log.warn({ queue: q, lastRead: last, oldestLeft: first }, `webhook events of ${q} were trimmed before any dispatcher read them (raise queueEventsMaxLen or keep a worker running)`);
    }
    return lost;
  }

  /** One pass over every source; answers how many entries it handled. */
  async tick(now = Date.now()): Promise<number> {
    const teams = await this.o.redis.smembers(this.keys.teams());
    if (teams.length === 0) return 0; // no team has webhooks: nothing is read
    const configs = new Map<string, StoredConfig>();
    for (const t of teams) {
      const c = await readConfig(this.o.redis, this.keys, t);
      if (c && c.endpoints.length > 0) configs.set(t, c);
    }
    const reclaim = now - this.lastReclaim >= this.o.reclaimIdleMs;
    if (reclaim) this.lastReclaim = now;
    let n = 0;
    for (const q of SOURCE_QUEUES) n += await this.drain(this.keys.queueEvents(q), reclaim, (entries) => this.jobEvents(q, entries, configs));
    for (const [team, config] of configs) n += await this.drain(this.keys.audit(team), reclaim, (entries) => this.budgetEvents(team, config, entries));
    if (now - this.lastResolveCheck >= this.o.resolveCheckMs) {
      this.lastResolveCheck = now;
      for (const team of configs.keys()) await this.resolve(team, () => true); // a new window: nothing in Redis marks one
    }
    return n;
  }

  /** Reads new entries (and, every reclaimIdleMs, those a dead consumer left), handles, then acknowledges them. */
  private async drain(key: string, reclaim: boolean, handle: (entries: Entry[]) => Promise<WebhookEvent[]>): Promise<number> {
    const batches: Entry[][] = [];
    try {
      if (reclaim) {
        const [, claimed] = (await this.o.redis.xautoclaim(key, DISPATCH_GROUP, this.o.consumer, this.o.reclaimIdleMs, '0-0', 'COUNT', this.o.batch)) as [string, (Entry | null)[]];
        const live = claimed.filter((e): e is Entry => e !== null);
        if (live.length) batches.push(live);
      }
      const read = (await this.o.redis.xreadgroup('GROUP', DISPATCH_GROUP, this.o.consumer, 'COUNT', this.o.batch, 'STREAMS', key, '>')) as [string, Entry[]][] | null;
      if (read?.[0]?.[1].length) batches.push(read[0][1]);
    } catch (err) {
      // The group is made when a team configures webhooks; a stream deleted since has none.
      if (String((err as Error).message).includes('NOGROUP')) {
        await this.o.redis.xgroup('CREATE', key, DISPATCH_GROUP, '$', 'MKSTREAM').catch(() => {});
        return 0;
      }
      throw err;
    }
    let n = 0;
    for (const entries of batches) {
      await this.enqueue(await handle(entries));
      await this.o.redis.xack(key, DISPATCH_GROUP, ...entries.map(([id]) => id));
      n += entries.length;
    }
    return n;
  }

  private async jobEvents(q: SourceQueue, entries: Entry[], configs: Map<string, StoredConfig>): Promise<WebhookEvent[]> {
    const out: WebhookEvent[] = [];
    const gone: string[] = [];
    for (const [entryId, flat] of entries) {
      const fields = fieldsOf(flat);
      const finished = finishedJob(fields);
      if (!finished) continue;
      const event = await this.jobEvent(q, entryId, finished, fields, gone).catch((err: Error) => {
        this.o.log.warn({ entry: entryId, queue: q, err: err.message }, 'webhook dispatcher: unreadable job event skipped');
        return null;
      });
      const config = event && configs.get(event.team);
      if (config && entryMs(entryId) >= config.since) out.push(event);
    }
    // One line per read, not per event: a dispatcher far behind meets many at once.
    if (gone.length) this.o.log.warn({ queue: q, skipped: gone.length, first: gone[0] }, 'webhook dispatcher: job outcomes older than their generate jobs (kept a day) are skipped');
    return out;
  }

  /** `gone`: the entries whose generate job is removed (a day after it ended), so whose team is unknown. */
  private async jobEvent(q: SourceQueue, entryId: string, f: { jobId: string; completed: boolean }, fields: Map<string, string>, gone: string[]): Promise<WebhookEvent | null> {
    if (q === 'intake') return f.completed ? decisionEvent(entryId, f.jobId, readDecision(JSON.parse(fields.get('returnvalue') ?? 'null'))) : null;
    // The team is in the admission: read it only for a finished generate job.
    const data = await this.o.redis.hget(this.keys.queueJob('generate', f.jobId), 'data');
    if (data === null) {
      gone.push(entryId);
      return null;
    }
    const admission = JSON.parse(data);
    return outcomeEvent(entryId, f.jobId, admission, f.completed ? JSON.parse(fields.get('returnvalue') ?? 'null') : { failedReason: fields.get('failedReason') ?? 'failed' });
  }

  private async budgetEvents(team: string, config: StoredConfig, entries: Entry[]): Promise<WebhookEvent[]> {
    const out: WebhookEvent[] = [];
    const changed = new Set<string>();
    for (const row of entries) {
      if (entryMs(row[0]) < config.since) continue;
      const entry = decodeAuditEntry(team, row);
      const t = thresholdEvent(team, entry);
      if (t) {
        out.push(t.event);
        await this.o.redis.hset(this.keys.open(team), openField(t.open), JSON.stringify(t.open));
      } else if (entry.op === 'set-budget') changed.add(`${entry.fields.scope}|${entry.fields.name}`);
    }
    // A limit changed: its scope's fired thresholds may be resolved now.
    if (changed.size) await this.resolve(team, (o) => changed.has(`${o.scope}|${o.name}`));
    return out;
  }

  /**
   * budget.resolved for the team's open thresholds that `which` selects and that are over; the
   * threshold is forgotten only once its event's jobs are added (a crash in between adds the
   * same ids again).
   */
  private async resolve(team: string, which: (o: OpenThreshold) => boolean): Promise<void> {
    const open = await this.o.redis.hgetall(this.keys.open(team));
    const pending = Object.entries(open).map(([field, json]) => [field, JSON.parse(json) as OpenThreshold] as const).filter(([, o]) => which(o));
    if (pending.length === 0) return;
    const out: WebhookEvent[] = [];
    const done: string[] = [];
    const views = new Map<string, BudgetView | null>();
    for (const [field, o] of pending) {
      const scopeKey = `${o.scope}|${o.name}`;
      if (!views.has(scopeKey)) {
        const [v] = o.scope === 'team' ? await this.o.ledger.getBudgets(team, []) : await this.o.ledger.getBudgets(team, [o.name], false);
        views.set(scopeKey, v ?? null);
      }
      const now = views.get(scopeKey);
      if (!now) continue;
      const why = resolution(o, now);
      if (!why) continue;
      out.push(resolvedEvent(team, o, why, now, Date.now()));
      done.push(field);
    }
    if (out.length) {
      await this.enqueue(out);
      await this.o.redis.hdel(this.keys.open(team), ...done);
    }
  }

  /** One delivery job per event and subscribed endpoint, its id derived from both. */
  private async enqueue(events: WebhookEvent[]): Promise<void> {
    const jobs = [];
    const configs = new Map<string, StoredConfig | null>();
    for (const e of events) {
      if (!configs.has(e.team)) configs.set(e.team, await readConfig(this.o.redis, this.keys, e.team));
      for (const ep of configs.get(e.team)?.endpoints ?? []) {
        if (!ep.events.includes(e.payload.type)) continue;
        jobs.push({
          name: e.payload.type,
          data: { ...e, endpointId: ep.id, url: ep.url },
          opts: {
            jobId: `${e.id}.${ep.id}`,
            attempts: this.o.job.attempts,
            backoff: { type: 'exponential', delay: this.o.job.backoffMs },
            removeOnComplete: { age: Math.ceil(this.o.job.retentionMs / 1000) },
            removeOnFail: { age: Math.ceil(this.o.job.retentionMs / 1000) },
          },
        });
      }
    }
    if (jobs.length) await this.o.deliveries.addBulk(jobs);
  }
}
