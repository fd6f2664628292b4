import '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULTS } from '../../defaults.js';
import { InputError } from '../../errors.js';
import { Job } from '../../job.js';
import { Name } from '../../names.js';
import { describeIssues } from '../../validation.js';
import type { RouteContext } from '../app.js';
import { ServiceError } from '../errors.js';
import { quoteJob } from '../routes/pricing.js';
import { APP_CSS, LIVE_JS } from './assets.js';
import { streamOverview } from './live.js';
import { matches, overview } from './overview.js';
import { DASHBOARD_CSP } from './pages/layout.js';
import { loginPage, teamsPage } from './pages/login.js';
import { policyPage, type QuoteShown } from './pages/policy.js';
import { teamPage } from './pages/team.js';
import type { Session, Sessions } from './session.js';

export const COOKIE = 'vidgate_session';

const html = (reply: FastifyReply, page: string, status = 200) => reply.code(status).header('content-security-policy', DASHBOARD_CSP).header('x-content-type-options', 'nosniff').header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page);

/**
 * A state-changing post must come from this origin: SameSite=Strict is the first guard; this is
 * the second, by the headers browsers send (Sec-Fetch-Site, Origin). A client that is not a
 * browser sends neither. The pages' referrer policy is same-origin, so their own posts carry
 * their Origin (no-referrer would make it "null", which is refused).
 */
function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  return origin === undefined || origin === `${req.protocol}://${req.host}`;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export function dashboardRoutes(app: FastifyInstance, ctx: RouteContext, sessions: Sessions, teamsOf: () => Promise<string[]>): void {
  const sessionOf = (req: FastifyRequest) => sessions.get(req.cookies[COOKIE]);
  /** The team a session may see: its own, or any for an admin; another team's name is simply not there. */
  const allowed = (s: Session, team: string) => Name.safeParse(team).success && (s.team === null || s.team === team);
  const notThere = (reply: FastifyReply) => html(reply, teamsNotFound(), 404);
  const teamsNotFound = () => loginPage('No such team for this key.');

  app.get('/', async (_req, reply) => reply.redirect('/dashboard', 303));
  app.get('/dashboard/assets/app.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(APP_CSS));
  app.get('/dashboard/assets/live.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(LIVE_JS));

  app.get('/dashboard/login', async (_req, reply) => html(reply, loginPage()));
  app.post('/dashboard/login', async (req, reply) => {
    if (!sameOrigin(req)) return html(reply, loginPage('This form must be sent from the dashboard itself.'), 403);
    const key = str((req.body as Record<string, unknown> | undefined)?.key)?.trim();
    if (!key) return html(reply, loginPage('Type an API key (from `vidgate keys create`, or the admin key).'), 400);
    const made = await sessions.create(key);
    if (!made) return html(reply, loginPage('That key is not valid (unknown, revoked or mistyped).'), 401);
    reply.setCookie(COOKIE, made.sid, { path: '/', httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https', maxAge: Math.floor(DEFAULTS.dashboardSessionMs / 1000) });
    return reply.redirect(made.session.team ? `/dashboard/teams/${encodeURIComponent(made.session.team)}` : '/dashboard', 303);
  });
  app.post('/dashboard/logout', async (req, reply) => {
    if (!sameOrigin(req)) return html(reply, loginPage('This form must be sent from the dashboard itself.'), 403);
    await sessions.end(req.cookies[COOKIE]);
    reply.clearCookie(COOKIE, { path: '/' });
    return reply.redirect('/dashboard/login', 303);
  });

  app.get('/dashboard', async (req, reply) => {
    const s = await sessionOf(req);
    if (!s) return reply.redirect('/dashboard/login', 303);
    if (s.team) return reply.redirect(`/dashboard/teams/${encodeURIComponent(s.team)}`, 303);
    return html(reply, teamsPage(await teamsOf()));
  });

  app.get<{ Params: { team: string }; Querystring: Record<string, unknown> }>('/dashboard/teams/:team', async (req, reply) => {
    const s = await sessionOf(req);
    if (!s) return reply.redirect('/dashboard/login', 303);
    const { team } = req.params;
    if (!allowed(s, team)) return notThere(reply);
    const o = await overview(ctx, team);
    if (!o) return notThere(reply);
    const filters = { project: str(req.query.project)?.slice(0, 60), state: str(req.query.state)?.slice(0, 20), decision: str(req.query.decision)?.slice(0, 60) };
    return html(reply, teamPage({ ...o, jobs: o.jobs.filter((j) => matches(j, filters)) }, filters, s.team === null));
  });

  // Server-Sent Events: the overview whenever it changes (live.ts).
  app.get<{ Params: { team: string } }>('/dashboard/teams/:team/live', async (req, reply) => {
    const sid = req.cookies[COOKIE];
    const s = await sessions.get(sid);
    if (!s) throw new ServiceError(401, 'unauthorized', 'sign in at /dashboard/login');
    const { team } = req.params;
    if (!allowed(s, team)) throw new ServiceError(404, 'not-found', 'not found');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    try {
      await streamOverview(ctx, team, res, async () => (await sessions.get(sid)) !== null, (err) => req.log.warn({ err }, 'dashboard live overview failed'));
    } catch (err) {
      // Hijacked: Fastify no longer answers for us, so a failure is logged and the stream ends.
      req.log.warn({ err }, 'dashboard live stream ended by an error');
    } finally {
      res.end();
    }
  });

  const policyView = async (req: FastifyRequest<{ Params: { team: string } }>, reply: FastifyReply, quote?: QuoteShown, status = 200) => {
    const s = await sessionOf(req);
    if (!s) return reply.redirect('/dashboard/login', 303);
    const { team } = req.params;
    if (!allowed(s, team)) return notThere(reply);
    const current = await ctx.policies.current(team);
    if (!current) return notThere(reply);
    return html(reply, policyPage(team, current, await ctx.policies.history(team), s.csrf, quote), status);
  };
  app.get<{ Params: { team: string } }>('/dashboard/teams/:team/policy', (req, reply) => policyView(req, reply));
  app.post<{ Params: { team: string } }>('/dashboard/teams/:team/policy/quote', async (req, reply) => {
    const s = await sessionOf(req);
    if (!s) return reply.redirect('/dashboard/login', 303);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (!sameOrigin(req) || str(b.csrf) !== s.csrf) return html(reply, loginPage('This form must be sent from the dashboard itself (its token did not match): reload the policy page.'), 403);
    const text = (str(b.job) ?? '').slice(0, 20_000);
    return policyView(req, reply, await quoteOf(ctx, req.params.team, text), 200);
  });
}

/** The dashboard's quote: the job as typed, checked as the API checks it, for the page's team only. */
async function quoteOf(ctx: RouteContext, team: string, text: string): Promise<QuoteShown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { text, result: { ok: false, error: 'the job is not JSON: type it as an object, such as the example' } };
  }
  const parsed = Job.safeParse(raw);
  if (!parsed.success) return { text, result: { ok: false, error: `the job is not valid: ${describeIssues(parsed.error).join('; ')}` } };
  if (parsed.data.team !== team) return { text, result: { ok: false, error: `the job's team must be ${team} (this page's team)` } };
  try {
    const q = await quoteJob(ctx, parsed.data);
    const c = q.chosen;
    return { text, result: { ok: true, outcome: q.outcome, cost: q.cost, variant: c ? `${c.model} ${c.resolution} ${c.durationSeconds}s audio ${c.audio}` : 'no variant', reasons: q.reasons, rules: q.rules.map((r) => `${r.rule}: ${r.detail}`) } };
  } catch (err) {
    if (err instanceof ServiceError || err instanceof InputError) return { text, result: { ok: false, error: err.message } };
    throw err;
  }
}
