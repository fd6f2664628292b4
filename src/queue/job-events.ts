import type { Queue } from 'bullmq';
import type { RedisConnection as Redis } from '../redis-connection.js';
import { DEFAULTS } from '../defaults.js';

/** The longest XREAD BLOCK: a reader that hears nothing this long reads again (and a stuck read is found out). */
const BLOCK_MS = 5000;

export type QueueName = 'intake' | 'generate';

/** How a job ended: its return value, why it failed, or it was removed (cancelled while it waited) or is not there. */
export type Ending = { state: 'completed'; returnvalue: unknown } | { state: 'failed'; reason: string } | { state: 'gone' };

interface Waiter {
  settle(e: Ending): void;
  fail(err: Error): void;
  /** When the safety net looks at the job's state next, and how long it waits after that. */
  nextCheck: number;
  every: number;
}

export interface JobEventsOptions {
  /** The first look at a waiting job's state if no event came, doubling up to `maxCheckMs`. */
  checkMs?: number;
  maxCheckMs?: number;
  /** The longest XREAD BLOCK; a read that does not answer a second past it is abandoned (its connection reset). */
  blockMs?: number;
  /** How long a safety-net look at a job's state may take before the sweep goes on without it. */
  lookMs?: number;
}

/** Longer than any answer from a Redis that is there: a look this late is given up on. */
const LOOK_MS = 5000;

/** An event entry's field, read from the flat [name, value, ...] list without building an object. */
function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * One reader per process of the intake and generate queues' event streams (BullMQ's, the ones
 * QueueEvents reads): a single XREAD BLOCK over both, on its own connection, however many
 * requests wait. Waiters are kept by internal job id; each is settled by its job's `completed`,
 * `failed` or `removed` event. A waiter looks at its job's state once it is registered (the end
 * may have come before the reader got to it) and then, as a safety net for events missed while
 * Redis was away or trimmed from the stream, at a slow, growing interval.
 */
export class JobEvents {
  private readonly keys: Record<QueueName, string>;
  private readonly waiters: Record<QueueName, Map<string, Set<Waiter>>> = { intake: new Map(), generate: new Map() };
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly lastIds: Record<QueueName, string> = { intake: '$', generate: '$' };
  private readonly checkMs: number;
  private readonly maxCheckMs: number;
  private readonly blockMs: number;
  private readonly lookMs: number;
  private started: Promise<void> | undefined;
  private reading: Promise<void> | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private sweeping = false;
  private closed = false;

  /** `blocking` is this reader's own connection (closed with it); `redis` answers the state checks. */
  constructor(
    private readonly blocking: Redis,
    private readonly redis: Redis,
    private readonly queues: Record<QueueName, Queue>,
    opts: JobEventsOptions = {},
  ) {
    this.keys = { intake: queues.intake.keys.events!, generate: queues.generate.keys.events! };
    this.checkMs = opts.checkMs ?? DEFAULTS.stateCheckMs;
    this.maxCheckMs = opts.maxCheckMs ?? DEFAULTS.maxStateCheckMs;
    this.blockMs = opts.blockMs ?? BLOCK_MS;
    this.lookMs = opts.lookMs ?? LOOK_MS;
  }

  /**
   * Starts reading from where each stream ends now (its last entry's id, not `$`: no event that
   * comes after this resolves can be missed, whenever the first read reaches Redis).
   */
  ready(): Promise<void> {
    this.started ??= (async () => {
      for (const q of ['intake', 'generate'] as const) {
        // On the reader's own connection, idle until its first read.
        const last = (await this.blocking.xrevrange(this.keys[q], '+', '-', 'COUNT', 1))[0];
        this.lastIds[q] = last?.[0] ?? '0-0';
      }
      this.reading = this.read();
    })().catch((err: unknown) => {
      // Redis away at the start (a failover, a refused command): the next wait tries again.
      this.started = undefined;
      throw err;
    });
    return this.started;
  }

  /** How team's job `id` (internal) ends in `queue`: at once if it has, else at its event. */
  async wait(queue: QueueName, id: string, signal?: AbortSignal): Promise<Ending> {
    if (this.closed) throw new Error('the job event reader is closed');
    signal?.throwIfAborted();
    await this.ready();
    return new Promise<Ending>((resolve, reject) => {
      const waiting = this.waiters[queue];
      const set = waiting.get(id) ?? new Set<Waiter>();
      waiting.set(id, set);
      const forget = () => {
        set.delete(w);
        if (set.size === 0 && waiting.get(id) === set) waiting.delete(id);
        signal?.removeEventListener('abort', onAbort);
      };
      const w: Waiter = {
        settle: (e) => (forget(), resolve(e)),
        fail: (err) => (forget(), reject(err)),
        nextCheck: Date.now() + this.checkMs,
        every: this.checkMs,
      };
      const onAbort = () => (forget(), reject(signal!.reason));
      set.add(w);
      if (signal?.aborted) return onAbort(); // while the reader was starting
      signal?.addEventListener('abort', onAbort, { once: true });
      this.armSweep();
      // Registered first, looked at second: an end that came before either is in the state.
      void this.check(queue, id).then((e) => e && set.has(w) && w.settle(e), () => {}); // Redis away: the safety net looks again
    });
  }

  /** Calls `onEvent` at each event of internal job `id` in either queue, until the returned function is called. */
  async watch(id: string, onEvent: () => void): Promise<() => void> {
    if (this.closed) throw new Error('the job event reader is closed');
    await this.ready();
    const set = this.watchers.get(id) ?? new Set();
    this.watchers.set(id, set);
    set.add(onEvent);
    return () => {
      set.delete(onEvent);
      if (set.size === 0 && this.watchers.get(id) === set) this.watchers.delete(id);
    };
  }

  /**
   * Whether job `id` has ended in `queue`, else null: one read of its hash. BullMQ writes
   * `finishedOn` with the return value or the final failure's reason in the same script (a retried
   * attempt sets neither), and deletes it when a job is run again; `timestamp` is there from the add.
   */
  private async check(queue: QueueName, id: string): Promise<Ending | null> {
    const [added, finishedOn, returnvalue, failedReason] = await this.redis.hmget(this.queues[queue].toKey(id), 'timestamp', 'finishedOn', 'returnvalue', 'failedReason');
    if (added == null) return { state: 'gone' };
    if (finishedOn == null) return null;
    if (returnvalue != null) return { state: 'completed', returnvalue: JSON.parse(returnvalue) };
    return { state: 'failed', reason: failedReason ?? 'failed' };
  }

  /**
   * A safety-net look, given up on after `lookMs`: during a Cluster failover a command sent to the
   * dying master can stay unanswered for good, and the sweeps run one at a time, so one such look
   * would stop every later sweep (and leave waiters whose events were lost waiting for ever).
   */
  private async checkWithin(queue: QueueName, id: string): Promise<Ending | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.lookMs)));
    try {
      return await Promise.race([this.check(queue, id).catch(() => null), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async read(): Promise<void> {
    while (!this.closed) {
      let answer: [string, [string, string[]][]][] | null;
      try {
        answer = await this.xread();
      } catch {
        if (this.closed) return;
        // Redis away or the read abandoned: events may have been missed, so every waiter looks now.
        this.checkAllSoon();
        await new Promise((r) => setTimeout(r, DEFAULTS.workerRunRetryDelayMs).unref());
        continue;
      }
      for (const [key, entries] of answer ?? []) {
        const queue: QueueName = key === this.keys.intake ? 'intake' : 'generate';
        for (const [entryId, fields] of entries) {
          this.lastIds[queue] = entryId;
          this.dispatch(queue, fields);
        }
      }
    }
  }

  /**
   * One blocking read of both streams (one hash tag on a cluster: the queue prefix). A read that
   * does not answer a second past its block is abandoned and its connection reset, as BullMQ's
   * own reader does: ioredis may re-send a blocking command after a reconnect and never answer it.
   */
  private async xread(): Promise<[string, [string, string[]][]][] | null> {
    const read = this.blocking.xread('COUNT', 1000, 'BLOCK', this.blockMs, 'STREAMS', this.keys.intake, this.keys.generate, this.lastIds.intake, this.lastIds.generate) as Promise<[string, [string, string[]][]][] | null>;
    let timer: NodeJS.Timeout | undefined;
    const abandoned = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('event read abandoned')), this.blockMs + 1000);
    });
    read.catch(() => {});
    try {
      return await Promise.race([read, abandoned]);
    } catch (err) {
      if (!this.closed && (err as Error).message === 'event read abandoned') this.blocking.disconnect(true);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private dispatch(queue: QueueName, fields: string[]): void {
    const id = field(fields, 'jobId');
    if (id === undefined) return;
    const watching = this.watchers.get(id);
    if (watching) for (const f of [...watching]) f();
    const waiting = this.waiters[queue].get(id);
    if (!waiting) return;
    const event = field(fields, 'event');
    let ending: Ending;
    if (event === 'completed') ending = { state: 'completed', returnvalue: JSON.parse(field(fields, 'returnvalue') ?? 'null') };
    else if (event === 'failed') ending = { state: 'failed', reason: field(fields, 'failedReason') ?? 'failed' };
    else if (event === 'removed') ending = { state: 'gone' };
    else return;
    for (const w of [...waiting]) w.settle(ending);
  }

  private armSweep(): void {
    if (this.sweep || this.closed) return;
    this.sweep = setInterval(() => {
      // One sweep at a time: after a read error every waiter is due at once.
      if (this.sweeping) return;
      this.sweeping = true;
      void this.lookAtDue().finally(() => (this.sweeping = false));
    }, this.checkMs);
    this.sweep.unref();
  }

  private checkAllSoon(): void {
    for (const waiting of Object.values(this.waiters)) for (const set of waiting.values()) for (const w of set) w.nextCheck = 0;
  }

  /**
   * The safety net: each waiter whose time has come looks at its job's state, then waits twice as
   * long. The jobs are read a hundred at a time (one connection pipelines them).
   */
  private async lookAtDue(): Promise<void> {
    const now = Date.now();
    let any = false;
    const looks: (() => Promise<void>)[] = [];
    for (const queue of ['intake', 'generate'] as const) {
      for (const [id, set] of this.waiters[queue]) {
        any = true;
        const due = [...set].filter((w) => w.nextCheck <= now);
        if (due.length === 0) continue;
        for (const w of due) {
          w.every = Math.min(w.every * 2, this.maxCheckMs);
          w.nextCheck = now + w.every;
        }
        looks.push(async () => {
          const e = await this.checkWithin(queue, id);
          if (e) for (const w of due) if (set.has(w)) w.settle(e);
        });
      }
    }
    for (let i = 0; i < looks.length && !this.closed; i += 100) await Promise.all(looks.slice(i, i + 100).map((look) => look()));
    if (!any && this.sweep) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  /** Stops reading; a waiter still waiting fails (its job's end will not be heard of here). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweep) clearInterval(this.sweep);
    for (const waiting of Object.values(this.waiters)) for (const set of waiting.values()) for (const w of [...set]) w.fail(new Error('the client was closed before the job ended'));
    this.watchers.clear();
    this.blocking.disconnect();
    await this.reading?.catch(() => {});
  }
}
