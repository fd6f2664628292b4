import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ModelId } from '../../catalog.js';
import { loadRateCard } from '../../pricing/rate-cards.js';
import type { RateCard } from '../../pricing/rate-card-schema.js';
import { CODE_TEXT } from '../kling/codes.js';
import { signCallback } from '../kling/webhooks.js';
import { Endpoint, type TaskData } from '../kling/wire.js';
import { checkAuth } from './auth.js';
import { acceptCreate, Refusal, unitsFor } from './create.js';
import { StateFile } from './state-file.js';
import { FAILURE_CLASSES, rng, statusOf, view, type FailureClass, type FakeHook, type Task } from './tasks.js';

export { FAILURE_CLASSES, type FailureClass, type FakeHook } from './tasks.js';

export interface FakeKlingOptions {
  host?: string;
  port?: number;
  apiKey?: string;
  /** JWT auth: tokens must be HS256-signed with secretKey, issued by accessKey, within exp/nbf. */
  accessKey?: string;
  secretKey?: string;
  /** Time from create to the final status; processing starts halfway. */
  latencyMs?: number;
  /** Share of creates that fail with one of failureClasses, chosen at random. */
  failureRate?: number;
  failureClasses?: FailureClass[];
  /** Models under maintenance: creates answer 5001. */
  unavailable?: ModelId[];
  /** More unfinished tasks than this answer 1303. */
  concurrencyLimit?: number;
  /** `whsec_…`: callbacks are signed with it (Standard Webhooks). Kling itself signs none. */
  callbackSecret?: string;
  rateCard?: RateCard;
  /** Output durations run up to this many seconds longer than asked (never enough to bill another second). */
  durationJitter?: number;
  seed?: number;
  clock?: () => number;
  /**
   * Remember tasks across restarts in this file (an append-only log replayed at start), as Kling
   * does: a restarted server still answers for, bills and refuses to duplicate every task it took.
   */
  stateFile?: string;
}

export interface FakeKling {
  readonly url: string;
  readonly app: FastifyInstance;
  /** Every task created, in order (for tests and the demo's summary). */
  tasks(): readonly Readonly<Task>[];
  /** How many create requests named this external id (a second one is rejected). */
  createsFor(externalId: string): number;
  callbacksSent(): number;
  close(): Promise<void>;
}

/** A few bytes served as every finished video, so the URLs a task reports resolve. */
const VIDEO_BYTES = Buffer.from('00000018667479706d703432000000006d703432', 'hex');

/** What the server keeps while it runs. */
interface State {
  opts: FakeKlingOptions;
  clock: () => number;
  random: () => number;
  card: RateCard;
  tasks: Map<string, Task>;
  byExternal: Map<string, string>;
  creates: Map<string, number>;
  timers: Set<NodeJS.Timeout>;
  callbacks: number;
  seq: number;
  baseUrl: string;
  state?: StateFile;
}

const fail = (reply: FastifyReply, http: number, code: number, message = CODE_TEXT[code]) => reply.code(http).send({ code, message, request_id: randomUUID() });
const ok = (reply: FastifyReply, data: unknown) => reply.send({ code: 0, message: 'SUCCEED', request_id: randomUUID(), data });
const show = (st: State, t: Task, status = statusOf(t, st.clock()), kind: 'query' | 'callback' = 'query') => view(t, status, st.clock(), st.baseUrl, kind);

/**
 * A Kling-compatible local server that follows Kling's API reference: text2video, image2video,
 * omni-video and motion-control, query by task id or external task id, the list endpoint, Kling's
 * defaults, error envelope and codes, unsigned callbacks (signed only when a secret is given).
 */
export async function startFakeKling(opts: FakeKlingOptions = {}): Promise<FakeKling> {
  const st: State = {
    opts,
    clock: opts.clock ?? Date.now,
    random: rng(opts.seed ?? 1),
    card: opts.rateCard ?? loadRateCard(),
    tasks: new Map(),
    byExternal: new Map(),
    creates: new Map(),
    timers: new Set(),
    callbacks: 0,
    seq: 0,
    baseUrl: '',
    ...(opts.stateFile ? { state: new StateFile(opts.stateFile) } : {}),
  };
  // Tasks taken before a restart: their callbacks are lost (as a restart loses them), the rest stands.
  for (const task of st.state?.load() ?? []) remember(st, task);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.setNotFoundHandler((req, reply) => fail(reply, 404, 1203, `no such resource: ${req.method} ${req.url.split('?')[0]}`));
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/videos/')) return; // the videos themselves, like Kling's CDN, need no key
    const refused = await checkAuth(req.headers.authorization, { apiKey: opts.apiKey, accessKey: opts.accessKey, secretKey: opts.secretKey, now: st.clock() });
    if (refused) return fail(reply, 401, refused);
  });
  app.post<{ Params: { endpoint: string } }>('/v1/videos/:endpoint', (req, reply) => create(st, req.params.endpoint, req.body, reply));
  // The reference: "choose either task_id or external_task_id", each in the same path slot.
  app.get<{ Params: { endpoint: string; id: string } }>('/v1/videos/:endpoint/:id', async (req, reply) => {
    const task = st.tasks.get(req.params.id) ?? st.tasks.get(st.byExternal.get(req.params.id) ?? '');
    const hidden = task?.hiddenUntil !== undefined && st.clock() < task.hiddenUntil;
    if (!task || hidden || task.endpoint !== req.params.endpoint) return fail(reply, 404, 1203, `task ${req.params.id} not found`);
    return ok(reply, show(st, task));
  });
  app.get<{ Params: { endpoint: string }; Querystring: { pageNum?: string; pageSize?: string } }>('/v1/videos/:endpoint', (req, reply) => list(st, req.params.endpoint, req.query, reply));
  app.get<{ Params: { file: string } }>('/videos/:file', async (req, reply) => {
    if (!st.tasks.has(req.params.file.replace(/\.mp4$/, ''))) return reply.code(404).send();
    return reply.type('video/mp4').send(VIDEO_BYTES);
  });
  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  st.baseUrl = `http://${opts.host ?? '127.0.0.1'}:${(app.server.address() as { port: number }).port}`;
  return {
    url: st.baseUrl,
    app,
    tasks: () => [...st.tasks.values()],
    createsFor: (externalId) => st.creates.get(externalId) ?? 0,
    callbacksSent: () => st.callbacks,
    async close() {
      for (const t of st.timers) clearTimeout(t);
      st.timers.clear();
      await app.close();
    },
  };
}

/** POST /v1/videos/{endpoint}: validate as documented, inject what the test asks, create the task. */
async function create(st: State, rawEndpoint: string, raw: unknown, reply: FastifyReply) {
  const endpoint = Endpoint.safeParse(rawEndpoint);
  if (!endpoint.success) return fail(reply, 404, 1203, `no such resource: POST /v1/videos/${rawEndpoint}`);
  const body = (raw ?? {}) as { x_fake?: FakeHook; external_task_id?: unknown };
  const hook = { ...body.x_fake };
  if (typeof body.external_task_id === 'string') {
    const ext = body.external_task_id;
    st.creates.set(ext, (st.creates.get(ext) ?? 0) + 1);
    if (st.byExternal.has(ext)) return fail(reply, 400, 1201, `external_task_id ${ext} already exists`);
    // A transient failure: only the first `times` creates of this id meet it.
    if (hook.times !== undefined && st.creates.get(ext)! > hook.times) delete hook.failure;
  }
  const accepted = acceptCreate(endpoint.data, raw);
  if (accepted instanceof Refusal) return fail(reply, accepted.http, accepted.code, accepted.message);
  const refused = injected(st, accepted.model, hook);
  if (refused) return fail(reply, refused.http, refused.code, refused.message);
  const failure = hook.failure ?? (st.opts.failureRate && st.random() < st.opts.failureRate ? pick(st) : undefined);
  if (failure === 'content-block') return fail(reply, 400, 1301);
  if (failure === 'rate-limit') return fail(reply, 429, 1302);
  if (failure === 'balance') return fail(reply, 429, 1102);
  const outputDuration = (accepted.seconds + Math.floor(st.random() * (st.opts.durationJitter ?? 0.12) * 1000) / 1000).toFixed(3);
  const units = unitsFor(accepted, Number(outputDuration), st.card);
  if (units instanceof Refusal) return fail(reply, units.http, units.code, units.message);
  const task: Task = {
    ...accepted,
    id: String(800_000_000_000 + ++st.seq),
    createdAt: st.clock(),
    latencyMs: st.opts.latencyMs ?? 2000,
    outcome: failure === 'task-failure' ? 'failed' : 'succeed',
    ...(failure === 'task-failure' ? { failMessage: 'generation failed (injected)' } : {}),
    reportedDuration: hook.reportedDuration === undefined ? outputDuration : hook.reportedDuration,
    units: hook.reportedUnits === undefined ? units : hook.reportedUnits,
    ...(hook.hiddenMs ? { hiddenUntil: st.clock() + hook.hiddenMs } : {}),
    ...(hook.dropCallbacks ? { dropCallbacks: true } : {}),
  };
  // Written before it is answered: a task any client heard of survives a kill.
  st.state?.append(task);
  remember(st, task);
  if (task.callbackUrl && !task.dropCallbacks) scheduleCallbacks(st, task);
  if (hook.delayMs) await new Promise((r) => setTimeout(r, hook.delayMs)); // a reply that comes too late
  if (failure === 'server-error') return fail(reply, 500, 5000); // …though the task was created
  const { task_id, task_status, task_info, created_at, updated_at } = show(st, task);
  return ok(reply, { task_id, task_status, task_info, created_at, updated_at });
}

/** Takes a task into the server's maps (a new one, or one replayed from the state file). */
function remember(st: State, task: Task): void {
  st.tasks.set(task.id, task);
  st.seq = Math.max(st.seq, Number(task.id) - 800_000_000_000);
  if (task.externalId) {
    st.byExternal.set(task.externalId, task.id);
    if (!st.creates.has(task.externalId)) st.creates.set(task.externalId, 1);
  }
}

const pick = (st: State): FailureClass => {
  const classes = st.opts.failureClasses ?? [...FAILURE_CLASSES];
  return classes[Math.floor(st.random() * classes.length)]!;
};

/** Maintenance (5001) and the pack's concurrency (1303), as configured or asked for by a test. */
function injected(st: State, model: ModelId, hook: FakeHook): Refusal | null {
  if (st.opts.unavailable?.includes(model) || hook.unavailable?.includes(model)) return new Refusal(503, 5001, `${model} is under maintenance`);
  if (st.opts.concurrencyLimit === undefined) return null;
  const now = st.clock();
  const running = [...st.tasks.values()].filter((t) => t.model === model && !['succeed', 'failed'].includes(statusOf(t, now))).length;
  return running >= st.opts.concurrencyLimit ? new Refusal(429, 1303, 'parallel task over resource pack limit') : null;
}

/** GET /v1/videos/{endpoint}?pageNum=&pageSize=: newest first, a bare array. */
async function list(st: State, rawEndpoint: string, q: { pageNum?: string; pageSize?: string }, reply: FastifyReply) {
  const endpoint = Endpoint.safeParse(rawEndpoint);
  if (!endpoint.success) return fail(reply, 404, 1203, `no such resource: GET /v1/videos/${rawEndpoint}`);
  const pageNum = Number(q.pageNum ?? 1);
  const pageSize = Number(q.pageSize ?? 30);
  if (!Number.isInteger(pageNum) || pageNum < 1 || pageNum > 1000 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
    return fail(reply, 400, 1201, 'pageNum must be 1–1000 and pageSize 1–500');
  }
  const newest = [...st.tasks.values()].filter((t) => t.endpoint === endpoint.data).reverse();
  return ok(reply, newest.slice((pageNum - 1) * pageSize, pageNum * pageSize).map((t) => show(st, t)));
}

function scheduleCallbacks(st: State, task: Task): void {
  const steps: [number, TaskData['task_status']][] = [
    [0, 'submitted'],
    [task.latencyMs / 2, 'processing'],
    [task.latencyMs, task.outcome],
  ];
  for (const [at, status] of steps) {
    const timer = setTimeout(() => {
      st.timers.delete(timer);
      void deliver(st, task, status);
    }, at);
    timer.unref();
    st.timers.add(timer);
  }
}

async function deliver(st: State, task: Task, status: TaskData['task_status']): Promise<void> {
  const body = JSON.stringify(show(st, task, status, 'callback'));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (st.opts.callbackSecret) Object.assign(headers, signCallback(st.opts.callbackSecret, `msg_${randomUUID()}`, body, new Date(st.clock())));
  try {
    await fetch(task.callbackUrl!, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
    st.callbacks++;
  } catch {
    // The receiver polls anyway, so a lost callback costs nothing.
  }
}
