import { randomUUID } from 'node:crypto';
import { Job as BullJob, Queue } from 'bullmq';
import type { RedisConnection as Redis } from '../redis-connection.js';
import { DEFAULTS } from '../defaults.js';
import { InputError } from '../errors.js';
import { Job, type JobInput } from '../job.js';
import { Ledger } from '../ledger/ledger.js';
import type { BudgetInput, BudgetView } from '../ledger/schema.js';
import { describeIssues } from '../validation.js';
import { duplicateConnection, isRedisTarget, type RedisTarget } from '../redis-connection.js';
import { queuePrefix, quietErrors, quietOnReconnect, reportConnection, workerConnection, type ConnectionReport } from './connection.js';
import { CancelGate } from './cancel-gate.js';
import { JobEvents } from './job-events.js';
import { queueStanding, type QueueStanding } from './scheduler/standing.js';
import { DEFAULT_PREFIX, internalJobId, KEEP_COMPLETED, KEEP_FAILED, QUEUE_GENERATE, QUEUE_INTAKE, QUEUE_OPTIONS } from './names.js';
import { failedOutcome, readDecision, type DecisionRecord, type FinalResult, type GenerateData, type GenerationResult, type StoredDecision } from './records.js';

export type { FinalResult } from './records.js';

export interface JobHandle {
  /** The caller's id, unique within its team. */
  id: string;
  team: string;
  /** Admit, downgrade or reject, with its explanation. With a signal, waiting ends (rejected with its reason) when it aborts. */
  decision(opts?: { signal?: AbortSignal }): Promise<DecisionRecord>;
  /** How the job ended: the video and its actual cost, or why it failed or was rejected. */
  result(): Promise<FinalResult>;
}

/** `work`, or the signal's reason once it aborts first; the abort listener goes when either ends. */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** A job as `show` finds it; `internalId` is its reservation id and the core of its provider task id. */
export interface JobView {
  id: string;
  team: string;
  internalId: string;
  /** The project the job was submitted for (null once its intake record is gone). */
  project: string | null;
  intake: string;
  decision: DecisionRecord | null;
  generate: string | null;
  result: GenerationResult | null;
  data: GenerateData | null;
  /** Where an admitted job stands on the provider account (waiting: its place in its team's line and a start estimate; running), or null once it ended. */
  standing: QueueStanding | null;
}

export interface CancelOutcome {
  /** cancelled: never sent to the provider; at-provider: sent already, it runs and is settled as usual. */
  outcome: 'cancelled' | 'at-provider' | 'finished' | 'not-found';
  /** The reservation was given back by this call (a worker may give it back instead, at the gate). */
  released: boolean;
}

const QUEUED_STATES = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

export interface ClientOptions {
  /** A connection (left open by close()), or where Redis is: a URL or a cluster's nodes (closed by close()). */
  redis: Redis | RedisTarget;
  prefix?: string;
  /** The provider account the workers schedule on (as `vidgate worker --account`; default kling). */
  account?: string;
  /** Told once when Redis becomes unreachable and once when it is back (for a client that owns its connection). */
  onConnection?: ConnectionReport;
  /** A waiting handle whose job's end no event announced looks at its state after this long, then less and less often (default DEFAULTS.stateCheckMs). */
  stateCheckMs?: number;
}

/** The library face of vidgate for pipelines: enqueue jobs, await decisions and results. */
export class VidgateClient {
  readonly budgets: {
    set(input: BudgetInput): Promise<{ changed: boolean }>;
    show(scope: { team: string; project?: string }): Promise<BudgetView | null>;
  };
  private readonly redis: Redis;
  private readonly owns: boolean;
  private readonly intake: Queue;
  private readonly generate: Queue<GenerateData>;
  private events: JobEvents | undefined;
  private readonly ledger: Ledger;
  /** BullMQ's prefix: the key prefix, hash-tagged on a cluster (queuePrefix). */
  private readonly queuePrefix: string;
  private readonly gate: CancelGate;

  constructor(private readonly opts: ClientOptions) {
    const target = isRedisTarget(opts.redis) ? opts.redis : undefined;
    const prefix = opts.prefix ?? DEFAULT_PREFIX;
    this.queuePrefix = queuePrefix(prefix, opts.redis); // a prefix a cluster cannot take stops here, before any connection
    this.owns = target !== undefined;
    this.redis = target !== undefined ? workerConnection(target) : (opts.redis as Redis);
    if (target !== undefined && opts.onConnection) reportConnection(this.redis, target, opts.onConnection);
    this.intake = quietErrors(new Queue(QUEUE_INTAKE, { ...QUEUE_OPTIONS, connection: this.redis, prefix: this.queuePrefix }));
    this.generate = quietErrors(new Queue<GenerateData>(QUEUE_GENERATE, { ...QUEUE_OPTIONS, connection: this.redis, prefix: this.queuePrefix }));
    this.ledger = new Ledger({ redis: this.redis, prefix, actor: 'client' });
    this.gate = new CancelGate(this.redis, prefix);
    this.budgets = { set: (b) => this.ledger.setBudget(b), show: (s) => this.ledger.getBudget(s) };
  }

  /** Validates the job here (a bad job is an InputError, nothing is enqueued) and enqueues it. */
  async enqueue(input: JobInput): Promise<JobHandle> {
    const [handle] = await this.enqueueMany([input]);
    return handle!;
  }

  /**
   * Validates every job first: one bad job enqueues none. A job's id is the caller's (or a new
   * UUID) and belongs to its team: the same team and id enqueued again is the same job.
   */
  async enqueueMany(inputs: JobInput[]): Promise<JobHandle[]> {
    const jobs = inputs.map((input, i) => {
      const parsed = Job.safeParse(input);
      if (!parsed.success) {
        throw new InputError(`job ${inputs.length > 1 ? `#${i + 1} ` : ''}is not valid:\n  ${describeIssues(parsed.error).join('\n  ')}`);
      }
      return { ...parsed.data, id: parsed.data.id ?? randomUUID() };
    });
    // The internal id is the BullMQ job id: enqueuing the same team and id again adds nothing.
    await this.intake.addBulk(jobs.map((j) => ({ name: 'job', data: j, opts: { jobId: internalJobId(j.team, j.id), removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED, attempts: DEFAULTS.intakeAttempts, backoff: { type: 'exponential', delay: DEFAULTS.intakeBackoffMs } } })));
    return jobs.map((j) => this.handle(j.team, j.id));
  }

  /** The handle of team's job `id` (the caller's id). */
  handle(team: string, id: string): JobHandle {
    const internal = internalJobId(team, id);
    let decided: Promise<DecisionRecord> | undefined;
    const decision = () => (decided ??= this.waitFor('intake', internal, id).then((stored) => readDecision(stored as StoredDecision)));
    return {
      id,
      team,
      // A bounded wait is its own (the shared one goes on for result()), or races the shared one.
      decision: (opts) => {
        const signal = opts?.signal;
        if (!signal) return decision();
        if (decided) return untilAborted(decided, signal);
        return this.waitFor('intake', internal, id, signal).then((stored) => readDecision(stored as StoredDecision));
      },
      result: async () => {
        const d = await decision();
        if (d.outcome === 'reject') return { id, state: 'rejected', decision: d, reason: d.reasons.join('; ') };
        try {
          return { ...((await this.waitFor('generate', internal, id)) as GenerationResult), decision: d };
        } catch (err) {
          // The generator settles every failure it can itself; this is one it could not (its
          // process died on the last attempt): a final failure all the same, and the reservation
          // goes back when its lease runs out.
          const admitted = { id, estimatedCost: d.cost ?? '0.00', reserved: d.reserve ?? '0.00' };
          return { ...failedOutcome(admitted, d.chosen!.model, (err as Error).message), decision: d };
        }
      },
    };
  }

  /** What is known of team's job `id` now, without waiting: its decision and result, if there are any yet. */
  async show(team: string, id: string): Promise<JobView | null> {
    const internalId = internalJobId(team, id);
    const [a, b] = await Promise.all([BullJob.fromId(this.intake, internalId), BullJob.fromId(this.generate, internalId)]);
    if (!a && !b) return null;
    return {
      id,
      team,
      internalId,
      project: typeof a?.data?.project === 'string' ? (a.data.project as string) : null,
      intake: a ? await a.getState() : 'missing',
      decision: readDecision(a?.returnvalue as StoredDecision | null | undefined),
      generate: b ? await b.getState() : null,
      result: (b?.returnvalue as GenerationResult | undefined) ?? null,
      data: (b?.data as GenerateData | undefined) ?? null,
      standing: b && !b.returnvalue ? await queueStanding(this.redis, this.opts.prefix ?? DEFAULT_PREFIX, team, internalId, this.opts.account) : null,
    };
  }

  /**
   * Cancels team's job `id` unless the provider already has it. A job not yet sent is removed
   * from its queue where it waits and its reservation released; one a worker holds right now is
   * stopped by the worker itself at the cancel gate (src/queue/cancel-gate.ts), just before it
   * would send it. A job already sent runs on and is settled as usual.
   */
  async cancel(team: string, id: string): Promise<CancelOutcome> {
    const view = await this.show(team, id);
    if (!view) return { outcome: 'not-found', released: false };
    if (view.decision?.outcome === 'reject' || view.result) return { outcome: 'finished', released: false };
    const internal = view.internalId;
    if ((await this.gate.claim(team, internal, 'cancelled')) === 'sent') return { outcome: 'at-provider', released: false };
    for (const queue of [this.intake, this.generate] as Queue[]) {
      const job = await BullJob.fromId(queue, internal);
      // Only a job still waiting is removed; one a worker holds is locked (remove throws), and
      // that worker meets the gate. A finished intake record (the decision) is kept.
      if (job && QUEUED_STATES.has(await job.getState())) await job.remove().catch(() => {});
    }
    const r = await this.ledger.release({ reservationId: internal, reason: 'cancelled' });
    return { outcome: 'cancelled', released: r.status === 'released' && !r.replayed };
  }

  /** Whether team's job `id` was cancelled before the provider saw it. */
  async cancelled(team: string, id: string): Promise<boolean> {
    return (await this.gate.read(team, internalJobId(team, id))) === 'cancelled';
  }

  /** The process's one reader of the queues' events (made at the first wait), on its own connection. */
  private jobEvents(): JobEvents {
    // A blocking read abandoned when its connection is reset must not be sent again after the
    // reconnect: the next read would queue behind it and be abandoned too, and so on.
    this.events ??= new JobEvents(quietOnReconnect(duplicateConnection(this.redis, { autoResendUnfulfilledCommands: false })), this.redis, { intake: this.intake, generate: this.generate }, this.opts.stateCheckMs ? { checkMs: this.opts.stateCheckMs, maxCheckMs: Math.max(this.opts.stateCheckMs, DEFAULTS.maxStateCheckMs) } : {});
    return this.events;
  }

  /**
   * Calls `onEvent` at each event of team's job `id` in either queue (a state may have changed:
   * read it again), until the returned function is called.
   */
  watch(team: string, id: string, onEvent: () => void): Promise<() => void> {
    return this.jobEvents().watch(internalJobId(team, id), onEvent);
  }

  private async waitFor(which: 'intake' | 'generate', id: string, shown: string, signal?: AbortSignal): Promise<unknown> {
    const end = await this.jobEvents().wait(which, id, signal);
    if (end.state === 'completed') return end.returnvalue;
    if (end.state === 'failed') throw new Error(end.reason);
    throw new Error(`no ${which} job ${shown} (finished too long ago, cancelled, or never enqueued)`);
  }

  async close(): Promise<void> {
    await this.events?.close();
    await this.intake.close();
    await this.generate.close();
    if (this.owns) await this.redis.quit();
  }
}

export function createClient(opts: ClientOptions): VidgateClient {
  return new VidgateClient(opts);
}
