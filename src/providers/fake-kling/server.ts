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

/**
 * A Kling-compatible local server that follows Kling's API reference: text2video, image2video,
 * omni-video and motion-control, query by task id or external task id, the list endpoint, Kling's
 * defaults, error envelope and codes, unsigned callbacks (signed only when a secret is given).
 */
export async function startFakeKling(opts: FakeKlingOptions = {}): Promise<FakeKling> {
  const clock = opts.clock ?? Date.now;
  const random = rng(opts.seed ?? 1);
  const card = opts.rateCard ?? loadRateCard();
  const latencyMs = opts.latencyMs ?? 2000;
  const jitter = opts.durationJitter ?? 0.12;
  const classes = opts.failureClasses ?? [...FAILURE_CLASSES];
  const unavailable = new Set(opts.unavailable ?? []);
  const tasks = new Map<string, Task>();
  const byExternal = new Map<string, string>();
  const creates = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let callbacks = 0;
  let seq = 0;
  let baseUrl = '';

  const fail = (reply: FastifyReply, http: number, code: number, message = CODE_TEXT[code]) => reply.code(http).send({ code, message, request_id: randomUUID() });
  const ok = (reply: FastifyReply, data: unknown) => reply.send({ code: 0, message: 'SUCCEED', request_id: randomUUID(), data });
  const show = (t: Task, status = statusOf(t, clock()), kind: 'query' | 'callback' = 'query') => view(t, status, clock(), baseUrl, kind);

  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.setNotFoundHandler((req, reply) => fail(reply, 404, 1203, `no such resource: ${req.method} ${req.url.split('?')[0]}`));
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/videos/')) return; // the videos themselves, like Kling's CDN, need no key
    const refused = await checkAuth(req.headers.authorization, { apiKey: opts.apiKey, accessKey: opts.accessKey, secretKey: opts.secretKey, now: clock() });
    if (refused) return fail(reply, 401, refused);
  });

  app.post<{ Params: { endpoint: string } }>('/v1/videos/:endpoint', async (req, reply) => {
    const endpoint = Endpoint.safeParse(req.params.endpoint);
    if (!endpoint.success) return fail(reply, 404, 1203, `no such resource: POST /v1/videos/${req.params.endpoint}`);
    const hook = ((req.body as { x_fake?: FakeHook } | null)?.x_fake ?? {}) as FakeHook;
    const ext = (req.body as { external_task_id?: unknown } | null)?.external_task_id;
    if (typeof ext === 'string') {
      creates.set(ext, (creates.get(ext) ?? 0) + 1);
      if (byExternal.has(ext)) return fail(reply, 400, 1201, `external_task_id ${ext} already exists`);
    }
    const accepted = acceptCreate(endpoint.data, req.body);
    if (accepted instanceof Refusal) return fail(reply, accepted.http, accepted.code, accepted.message);
    if (unavailable.has(accepted.model) || hook.unavailable?.includes(accepted.model)) return fail(reply, 503, 5001, `${accepted.model} is under maintenance`);
    const now = clock();
    if (opts.concurrencyLimit !== undefined) {
      const running = [...tasks.values()].filter((t) => t.model === accepted.model && !['succeed', 'failed'].includes(statusOf(t, now))).length;
      if (running >= opts.concurrencyLimit) return fail(reply, 429, 1303, 'parallel task over resource pack limit');
    }
    const failure: FailureClass | undefined = hook.failure ?? (opts.failureRate && random() < opts.failureRate ? classes[Math.floor(random() * classes.length)] : undefined);
    if (failure === 'content-block') return fail(reply, 400, 1301);
    if (failure === 'rate-limit') return fail(reply, 429, 1302);
    const outputDuration = (accepted.seconds + Math.floor(random() * jitter * 1000) / 1000).toFixed(3);
    const units = unitsFor(accepted, Number(outputDuration), card);
    if (units instanceof Refusal) return fail(reply, units.http, units.code, units.message);
    const task: Task = {
      ...accepted,
      id: String(800_000_000_000 + ++seq),
      createdAt: now,
      latencyMs,
      outcome: failure === 'task-failure' ? 'failed' : 'succeed',
      ...(failure === 'task-failure' ? { failMessage: 'generation failed (injected)' } : {}),
      reportedDuration: hook.reportedDuration === undefined ? outputDuration : hook.reportedDuration,
      units: hook.reportedUnits === undefined ? units : hook.reportedUnits,
    };
    tasks.set(task.id, task);
    if (task.externalId) byExternal.set(task.externalId, task.id);
    if (task.callbackUrl) scheduleCallbacks(task);
    if (hook.delayMs) await new Promise((r) => setTimeout(r, hook.delayMs)); // a reply that comes too late
    if (failure === 'server-error') return fail(reply, 500, 5000); // …though the task was created
    const { task_id, task_status, task_info, created_at, updated_at } = show(task);
    return ok(reply, { task_id, task_status, task_info, created_at, updated_at });
  });

  // The reference: "choose either task_id or external_task_id", each in the same path slot.
  app.get<{ Params: { endpoint: string; id: string } }>('/v1/videos/:endpoint/:id', async (req, reply) => {
    const id = req.params.id;
    const task = tasks.get(id) ?? tasks.get(byExternal.get(id) ?? '');
    if (!task || task.endpoint !== req.params.endpoint) return fail(reply, 404, 1203, `task ${id} not found`);
    return ok(reply, show(task));
  });

  app.get<{ Params: { endpoint: string }; Querystring: { pageNum?: string; pageSize?: string } }>('/v1/videos/:endpoint', async (req, reply) => {
    const endpoint = Endpoint.safeParse(req.params.endpoint);
    if (!endpoint.success) return fail(reply, 404, 1203, `no such resource: GET /v1/videos/${req.params.endpoint}`);
    const pageNum = Number(req.query.pageNum ?? 1);
    const pageSize = Number(req.query.pageSize ?? 30);
    if (!Number.isInteger(pageNum) || pageNum < 1 || pageNum > 1000 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
      return fail(reply, 400, 1201, 'pageNum must be 1–1000 and pageSize 1–500');
    }
    const newest = [...tasks.values()].filter((t) => t.endpoint === endpoint.data).reverse();
    return ok(reply, newest.slice((pageNum - 1) * pageSize, pageNum * pageSize).map((t) => show(t)));
  });

  app.get<{ Params: { file: string } }>('/videos/:file', async (req, reply) => {
    if (!tasks.has(req.params.file.replace(/\.mp4$/, ''))) return reply.code(404).send();
    return reply.type('video/mp4').send(VIDEO_BYTES);
  });

  function scheduleCallbacks(task: Task): void {
    const steps: [number, TaskData['task_status']][] = [
      [0, 'submitted'],
      [task.latencyMs / 2, 'processing'],
      [task.latencyMs, task.outcome],
    ];
    for (const [at, status] of steps) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        void deliver(task, status);
      }, at);
      timer.unref();
      timers.add(timer);
    }
  }

  async function deliver(task: Task, status: TaskData['task_status']): Promise<void> {
    const body = JSON.stringify(show(task, status, 'callback'));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.callbackSecret) Object.assign(headers, signCallback(opts.callbackSecret, `msg_${randomUUID()}`, body, new Date(clock())));
    try {
      await fetch(task.callbackUrl!, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
      callbacks++;
    } catch {
      // The receiver polls anyway, so a lost callback costs nothing.
    }
  }

  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  baseUrl = `http://${opts.host ?? '127.0.0.1'}:${(app.server.address() as { port: number }).port}`;
  return {
    url: baseUrl,
    app,
    tasks: () => [...tasks.values()],
    createsFor: (externalId) => creates.get(externalId) ?? 0,
    callbacksSent: () => callbacks,
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await app.close();
    },
  };
}
