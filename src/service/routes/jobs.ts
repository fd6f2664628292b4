import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DEFAULTS } from '../../defaults.js';
import { Job } from '../../job.js';
import { Name, ReservationId } from '../../names.js';
import type { JobHandle, JobView } from '../../queue/client.js';
import type { DecisionRecord } from '../../queue/records.js';
import type { RouteContext, TypedApp } from '../app.js';
import { requireTeam, teamOf } from '../auth.js';
import { ErrorBody, notFound, ServiceError } from '../errors.js';
import { DecisionBody, FINAL_STATES, jobLinks, JobState, JobStatus, jobStatus } from '../job-view.js';

const Batch = z.strictObject({ jobs: z.array(Job).min(1).max(DEFAULTS.serviceMaxBatch) });
const SubmitBody = z.union([Job, Batch]).describe(`one job, or { jobs: [...] } with 1 to ${DEFAULTS.serviceMaxBatch}; every job is checked first, one bad job enqueues none`);

const Submitted = z
  .object({
    id: z.string().describe("the job's id (yours, or a UUID given to it)"),
    team: z.string(),
    decision: DecisionBody.nullable().describe('with ?wait=decision, once decided within the bound; else null'),
    links: z.object({ self: z.string(), events: z.string() }),
  })
  .meta({ id: 'SubmittedJob' });
const SubmitAnswer = z.union([Submitted, z.object({ jobs: z.array(Submitted) })]);

const IdParams = z.object({ id: ReservationId });
const TeamQuery = z.object({ team: Name.optional().describe('admin keys only: the team whose job this is') });
const WaitQuery = z.object({ wait: z.enum(['decision']).optional().describe(`wait (at most the service's bound, ${DEFAULTS.serviceDecisionWaitMs} ms by default) for the router's decision; past it the answer is the same 202 with decision null`) });

const Cancelled = z.object({
  id: z.string(),
  outcome: z.enum(['cancelled', 'at-provider']),
  released: z.boolean().describe('the reservation was given back by this call (else by the worker that held the job, at once)'),
  message: z.string(),
});

const ListQuery = z.object({
  team: Name.optional().describe('admin keys only'),
  project: Name.optional(),
  state: JobState.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(/^[0-9]{1,16}$/, 'a cursor from a previous page').optional(),
});
const ListAnswer = z.object({ jobs: z.array(JobStatus), next: z.string().nullable().describe('the cursor of the next page, or null') });

/** Jobs are found by the caller's id within the key's team only: another team's id is simply not there (404). */
function jobTeam(req: FastifyRequest, named: string | undefined): string {
  if (named !== undefined) requireTeam(req, named, 'submit', 'not-found');
  return teamOf(req, named);
}

async function statusOf(ctx: RouteContext, team: string, id: string): Promise<JobStatus | null> {
  const [view, cancelled] = await Promise.all([ctx.client.show(team, id), ctx.client.cancelled(team, id)]);
  if (view) return jobStatus(view, cancelled ? 'cancelled' : null, view.project);
  // A cancelled job that waited was removed from its queue; its cancel claim remains.
  if (!cancelled) return null;
  const gone: JobView = { id, team, internalId: '', project: null, intake: 'missing', decision: null, generate: null, result: null, data: null, standing: null };
  return jobStatus(gone, 'cancelled', null);
}

/**
 * Each job's decision once it lands, or null for those still undecided after `ms` or once the
 * caller has gone (`gone` closes): their waits end then.
 */
async function decisionsWithin(handles: JobHandle[], ms: number, gone: NodeJS.EventEmitter): Promise<(DecisionRecord | null)[]> {
  const bound = new AbortController();
  const timer = setTimeout(() => bound.abort(), ms);
  const leave = () => bound.abort();
  gone.once('close', leave);
  try {
    return await Promise.all(handles.map((h) => h.decision({ signal: bound.signal }).catch(() => null)));
  } finally {
    clearTimeout(timer);
    gone.off('close', leave);
  }
}

export function jobRoutes(app: TypedApp, ctx: RouteContext): void {
  app.post(
    '/v1/jobs',
    {
      schema: {
        summary: 'submit one job or a batch',
        description: 'Idempotency-Key: the same key and body answer the first answer again (kept 24 h, per team); another body is 422; while the first is in flight, 409.',
        body: SubmitBody,
        querystring: WaitQuery,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        response: { 202: SubmitAnswer, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 413: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      const batch = 'jobs' in req.body;
      const jobs = 'jobs' in req.body ? req.body.jobs : [req.body];
      for (const [i, j] of jobs.entries()) {
        const p = req.principal;
        if (p.kind === 'team' && j.team !== p.team) throw new ServiceError(403, 'forbidden', `this key is for team ${p.team}, not ${j.team}`, { field: batch ? `body.jobs[${i}].team` : 'body.team', allowed: p.team });
      }
      const key = req.headers['idempotency-key'];
      const scope = req.principal.kind === 'team' ? req.principal.team : '_admin';
      const begun = key === undefined ? null : await ctx.idempotency.begin(scope, key, { body: req.body, wait: req.query.wait ?? null });
      if (begun && 'replay' in begun) return reply.code(begun.replay.status as 202).header('idempotent-replayed', 'true').send(begun.replay.body as z.infer<typeof SubmitAnswer>);
      try {
        const handles = await ctx.client.enqueueMany(jobs);
        // The router may decide while the index is written: the waits start now (none fails).
        const deciding = req.query.wait === 'decision' ? decisionsWithin(handles, ctx.decisionWaitMs ?? DEFAULTS.serviceDecisionWaitMs, req.raw.socket) : null;
        const byTeam = new Map<string, string[]>();
        for (const h of handles) byTeam.set(h.team, [...(byTeam.get(h.team) ?? []), h.id]);
        for (const [team, ids] of byTeam) await ctx.index.add(team, ids);
        const decisions = deciding ? await deciding : handles.map(() => null);
        const each = handles.map((h, i) => ({ id: h.id, team: h.team, decision: decisions[i] as z.infer<typeof DecisionBody> | null, links: jobLinks(h.id) }));
        const answer = batch ? { jobs: each } : each[0]!;
        await begun?.finish(202, answer);
        return reply.code(202).send(answer);
      } catch (err) {
        await begun?.abandon();
        throw err;
      }
    },
  );

  app.get(
    '/v1/jobs',
    { schema: { summary: "the team's recent jobs, newest first", querystring: ListQuery, response: { 200: ListAnswer, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody } } },
    async (req) => {
      const team = jobTeam(req, req.query.team);
      const { project, state, limit } = req.query;
      const out: JobStatus[] = [];
      let before = req.query.cursor === undefined ? undefined : Number(req.query.cursor);
      let scanned = 0;
      // A filtered page reads at most this many entries, then answers with what it found and a cursor.
      const SCAN_MAX = 1000;
      while (out.length < limit && scanned < SCAN_MAX) {
        const page = await ctx.index.page(team, Math.min(100, SCAN_MAX - scanned), before);
        if (page.length === 0) {
          before = undefined;
          break;
        }
        for (const { id, seq } of page) {
          scanned++;
          before = seq;
          const s = await statusOf(ctx, team, id);
          if (s && (!project || s.project === project) && (!state || s.state === state)) out.push(s);
          if (out.length === limit) break;
        }
      }
      const more = before !== undefined && (await ctx.index.page(team, 1, before)).length > 0;
      return { jobs: out, next: more ? String(before) : null };
    },
  );

  app.get(
    '/v1/jobs/:id',
    { schema: { summary: 'a job: its state, decision, result, actual cost and variance', params: IdParams, querystring: TeamQuery, response: { 200: JobStatus, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody } } },
    async (req) => {
      const team = jobTeam(req, req.query.team);
      const s = await statusOf(ctx, team, req.params.id);
      if (!s) throw notFound(`job ${req.params.id}`);
      return s;
    },
  );

  app.get(
    '/v1/jobs/:id/events',
    {
      schema: {
        summary: "Server-Sent Events: one `state` event per change of the job's state, until it ends",
        params: IdParams,
        querystring: TeamQuery,
        produces: ['text/event-stream'],
        response: { 200: z.string().describe('text/event-stream; each event: `event: state`, `data: <JobStatus as JSON>`'), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      const team = jobTeam(req, req.query.team);
      // Any event of the job in either queue (taken, decided, parked, sent, ended, removed) wakes
      // the stream to read its state again; listening starts before the first read, so no change
      // falls between them. The slow look is the safety net for an event missed while Redis was away.
      let changed = false;
      let wake = () => {};
      const stop = await ctx.client.watch(team, req.params.id, () => ((changed = true), wake()));
      try {
        const first = await statusOf(ctx, team, req.params.id);
        if (!first) throw notFound(`job ${req.params.id}`);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        let open = true;
        req.raw.on('close', () => ((open = false), wake()));
        const send = (s: JobStatus) => res.write(`event: state\ndata: ${JSON.stringify(s)}\n\n`);
        let last = first;
        send(first);
        while (open && !FINAL_STATES.has(last.state)) {
          if (!changed) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, DEFAULTS.serviceEventsPollMs);
              wake = () => (clearTimeout(timer), resolve());
            });
          }
          changed = false;
          if (!open) break;
          const now = await statusOf(ctx, team, req.params.id).catch(() => last);
          if (now && (now.state !== last.state || (now.decision === null) !== (last.decision === null))) send(now);
          if (now) last = now;
        }
        res.end();
      } finally {
        stop();
      }
    },
  );

  app.delete(
    '/v1/jobs/:id',
    {
      schema: {
        summary: 'cancel a job',
        description: 'A job not yet sent to the provider is removed and its reservation released (outcome cancelled, 200). One already at the provider runs on and is settled as usual (outcome at-provider, 202). A job that has ended is 409.',
        params: IdParams,
        querystring: TeamQuery,
        response: { 200: Cancelled, 202: Cancelled, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      const team = jobTeam(req, req.query.team);
      const id = req.params.id;
      const r = await ctx.client.cancel(team, id);
      if (r.outcome === 'not-found') {
        if (await ctx.client.cancelled(team, id)) return reply.code(200).send({ id, outcome: 'cancelled', released: false, message: 'already cancelled' });
        throw notFound(`job ${id}`);
      }
      if (r.outcome === 'finished') throw new ServiceError(409, 'already-finished', `job ${id} has already ended: nothing to cancel`);
      if (r.outcome === 'at-provider') return reply.code(202).send({ id, outcome: 'at-provider', released: false, message: 'the job was already sent to the provider: it runs on and is settled as usual (what the provider bills is charged)' });
      return reply.code(200).send({ id, outcome: 'cancelled', released: r.released, message: 'cancelled before the provider saw it: its reservation is released and nothing is charged' });
    },
  );
}
