import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { ModelId } from '../../catalog.js';
import { PricingError } from '../../errors.js';
import { formatMoney } from '../../money.js';
import { price } from '../../pricing/price.js';
import { loadRateCard } from '../../pricing/rate-cards.js';
import type { RateCard } from '../../pricing/rate-card-schema.js';
import { CODE_TEXT } from '../kling/codes.js';
import { signCallback } from '../kling/webhooks.js';
import { CreateBody, Endpoint, modelOf, type TaskData } from '../kling/wire.js';

/**
 * Failure classes the server can inject: at random (failureRate) or on one request, through the
 * body field `x_fake` (a FakeHook) that tests put in a job's `input` (the adapter passes it on).
 */
export const FAILURE_CLASSES = ['content-block', 'server-error', 'task-failure', 'rate-limit'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** What one create request asks of the server beyond Kling's own fields. */
export interface FakeHook {
  failure?: FailureClass;
  delayMs?: number;
  unavailable?: string[];
  /** What the finished task reports as its video's length and as the units deducted (null: nothing). */
  reportedDuration?: string | null;
  reportedUnits?: string | null;
}

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
  /** `whsec_…`: callbacks are signed with it (Standard Webhooks). */
  callbackSecret?: string;
  rateCard?: RateCard;
  /** Output durations run up to this many seconds longer than asked (never enough to bill another second). */
  durationJitter?: number;
  seed?: number;
  clock?: () => number;
}

interface Task {
  id: string;
  /** What the create asked for, as received (for tests and the demo to inspect). */
  request: { model_name: string; mode: string; duration: string; sound?: string; prompt?: string };
  externalId?: string;
  endpoint: Endpoint;
  modelName: string;
  model: ModelId;
  createdAt: number;
  latencyMs: number;
  outcome: 'succeed' | 'failed';
  failMessage?: string;
  outputDuration: string;
  /** What the finished video reports as its duration (null: the field is left out). */
  reportedDuration: string | null;
  /** What the finished task reports as `final_unit_deduction` (null: the field is left out). */
  units: string | null;
  callbackUrl?: string;
}

/** Mulberry32: a small seeded generator, so a run with a seed injects the same failures. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

/** A Kling-compatible local server: the same endpoints, payloads, auth, statuses and error codes. */
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
  const secret = opts.secretKey ? new TextEncoder().encode(opts.secretKey) : null;

  const statusOf = (t: Task, now = clock()): TaskData['task_status'] => {
    const elapsed = now - t.createdAt;
    if (elapsed >= t.latencyMs) return t.outcome;
    return elapsed >= t.latencyMs / 2 ? 'processing' : 'submitted';
  };
  /** The task as a query shows it now, or (for a callback) as of the transition it announces. */
  const view = (t: Task, status = statusOf(t)): TaskData => {
    return {
      task_id: t.id,
      task_status: status,
      ...(status === 'failed' ? { task_status_msg: t.failMessage } : {}),
      task_info: t.externalId ? { external_task_id: t.externalId } : {},
      created_at: t.createdAt,
      updated_at: clock(),
      model_name: t.modelName,
      endpoint: t.endpoint,
      ...(status === 'succeed'
        ? {
            ...(t.units === null ? {} : { final_unit_deduction: t.units }),
            task_result: { videos: [{ id: `${t.id}-v0`, url: `https://fake-kling.local/videos/${t.id}.mp4`, ...(t.reportedDuration === null ? {} : { duration: t.reportedDuration }) }] },
          }
        : {}),
    };
  };
  const fail = (reply: FastifyReply, http: number, code: number, message = CODE_TEXT[code]) =>
    reply.code(http).send({ code, message, request_id: randomUUID() });

  const app = Fastify({ logger: false, forceCloseConnections: true });

  app.addHook('onRequest', async (req, reply) => {
    if (!opts.apiKey && !secret) return;
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return fail(reply, 401, 1001);
    const token = header.slice(7);
    if (opts.apiKey && token === opts.apiKey) return;
    if (!secret) return fail(reply, 401, 1002);
    try {
      await jwtVerify(token, secret, { issuer: opts.accessKey, algorithms: ['HS256'], currentDate: new Date(clock()), requiredClaims: ['exp', 'nbf'] });
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return fail(reply, 401, 1004);
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf') return fail(reply, 401, 1003);
      return fail(reply, 401, 1002);
    }
  });

  app.post<{ Params: { endpoint: string }; Body: unknown }>('/v1/videos/:endpoint', async (req, reply) => {
    const endpoint = Endpoint.safeParse(req.params.endpoint);
    if (!endpoint.success) return fail(reply, 404, 1202, `unknown endpoint ${req.params.endpoint}`);
    const parsed = CreateBody.safeParse(req.body);
    if (!parsed.success) return fail(reply, 400, 1200, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const body = parsed.data;
    const hook = (body as { x_fake?: FakeHook }).x_fake ?? {};
    if (body.external_task_id) {
      creates.set(body.external_task_id, (creates.get(body.external_task_id) ?? 0) + 1);
      if (byExternal.has(body.external_task_id)) return fail(reply, 400, 1201, `external_task_id ${body.external_task_id} already exists`);
    }
    const model = modelOf(endpoint.data, body.model_name);
    if (!model) return fail(reply, 404, 1203, `model ${body.model_name} not found on ${endpoint.data}`);
    if (unavailable.has(model) || hook.unavailable?.includes(model)) return fail(reply, 503, 5001, `${model} is under maintenance`);
    const now = clock();
    if (opts.concurrencyLimit !== undefined) {
      const running = [...tasks.values()].filter((t) => t.model === model && !['succeed', 'failed'].includes(statusOf(t, now))).length;
      if (running >= opts.concurrencyLimit) return fail(reply, 429, 1303);
    }
    const failure: FailureClass | undefined =
      hook.failure ?? (opts.failureRate && random() < opts.failureRate ? classes[Math.floor(random() * classes.length)] : undefined);
    if (failure === 'content-block') return fail(reply, 400, 1301);
    if (failure === 'rate-limit') return fail(reply, 429, 1302);

    // Price what it will output, as Kling bills: the card's rate for the duration it reports.
    const outputDuration = (Number(body.duration) + Math.floor(random() * jitter * 1000) / 1000).toFixed(3);
    let units: string;
    try {
      const p = price(
        {
          model,
          resolution: body.mode === 'std' ? '720p' : '1080p',
          audio: body.sound === 'on',
          durationSeconds: Number(outputDuration),
          // The adapter sends the reference video's length as `duration`; Kling bills that length.
          reference:
            endpoint.data === 'motion-control'
              ? { orientation: body.character_orientation === 'image' ? 'image' : 'video', videoSeconds: Number(body.duration) }
              : undefined,
        },
        card,
      );
      units = formatMoney(p.cost);
    } catch (err) {
      if (err instanceof PricingError) return fail(reply, 400, 1201, err.message);
      throw err;
    }
    const task: Task = {
      id: String(800_000_000_000 + ++seq),
      request: { model_name: body.model_name, mode: body.mode, duration: body.duration, sound: body.sound, prompt: body.prompt },
      externalId: body.external_task_id,
      endpoint: endpoint.data,
      modelName: body.model_name,
      model,
      createdAt: now,
      latencyMs,
      outcome: failure === 'task-failure' ? 'failed' : 'succeed',
      failMessage: failure === 'task-failure' ? 'generation failed (injected)' : undefined,
      outputDuration,
      reportedDuration: hook.reportedDuration === undefined ? outputDuration : hook.reportedDuration,
      units: hook.reportedUnits === undefined ? units : hook.reportedUnits,
      callbackUrl: body.callback_url,
    };
    tasks.set(task.id, task);
    if (task.externalId) byExternal.set(task.externalId, task.id);
    if (task.callbackUrl) scheduleCallbacks(task);
    if (hook.delayMs) await new Promise((r) => setTimeout(r, hook.delayMs)); // a reply that comes too late
    if (failure === 'server-error') return fail(reply, 500, 5000); // …though the task was created
    return reply.send({ code: 0, message: 'SUCCEED', request_id: randomUUID(), data: view(task) });
  });

  app.get<{ Params: { endpoint: string; id: string } }>('/v1/videos/:endpoint/:id', async (req, reply) => {
    const id = req.params.id;
    const task = tasks.get(id) ?? tasks.get(byExternal.get(id) ?? '');
    if (!task || task.endpoint !== req.params.endpoint) return fail(reply, 404, 1203, `task ${id} not found`);
    return reply.send({ code: 0, message: 'SUCCEED', request_id: randomUUID(), data: view(task) });
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
    const body = JSON.stringify(view(task, status));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.callbackSecret) Object.assign(headers, signCallback(opts.callbackSecret, `msg_${randomUUID()}`, body, new Date(clock())));
    try {
      await fetch(task.callbackUrl!, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
      callbacks++;
    } catch {
      // Kling retries failed callbacks; the receiver polls anyway, so a lost one costs nothing.
    }
  }

  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const address = app.server.address() as { port: number };
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${address.port}`,
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
