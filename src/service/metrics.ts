import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import { COUNT_MEASURES, type HistoryRow } from '../ledger/history.js';
import { readStoredMetrics, storedMetricsText } from '../metrics/reader.js';
import type { BudgetView } from '../ledger/schema.js';
import { formatMoney, money, type Money } from '../money.js';
import { queuePrefix } from '../redis-connection.js';
import { windowDays } from './dashboard/burndown.js';
import type { RouteContext } from './app.js';
import { ServiceError } from './errors.js';
import { sameSecret } from './keys.js';

// GET /metrics for Prometheus. Budget gauges are read from the ledger at scrape time and the
// job and money counters from the spend history (this month's days), so every `vidgate serve`
// process answers the same figures and none keeps state of its own. Money is written from the
// ledger's decimal strings (never through a JavaScript number); labels are team, project,
// model, rule, outcome, queue, window: bounded by the policies, the catalog and the rules, never
// a job id. The workers' own observations (decision latency, provider time and errors) and
// reconciliation's findings come from other processes: they flush them to Redis (src/metrics/)
// and each scrape reads their totals.

export interface TeamFigures {
  team: string;
  views: BudgetView[];
  /** This month's history rows of the team. */
  rows: HistoryRow[];
}

type Labels = Record<string, string>;
/** A label value as the exposition format wants it: backslash, quote and newline escaped. */
const value = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Labels) => `{${Object.entries(l).map(([k, v]) => `${k}="${value(v)}"`).join(',')}}`;

class Family {
  readonly samples: string[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
  ) {}
  add(l: Labels, v: string | number): void {
    this.samples.push(`${this.name}${labels(l)} ${v}`);
  }
  text(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n${this.samples.join('\n')}${this.samples.length ? '\n' : ''}`;
  }
}

/** The ledger's and history's figures as exposition text: a pure function (tested against the ledger). */
export function ledgerMetrics(teams: TeamFigures[]): string {
  const gauge = (name: string, help: string) => new Family(name, help, 'gauge');
  const counter = (name: string, help: string) => new Family(name, help, 'counter');
  const limit = gauge('vidgate_budget_limit', "a budget scope's limit in its window (currency units)");
  const spent = gauge('vidgate_budget_spent', 'spent in the current window: committed and reconciled (currency units)');
  const held = gauge('vidgate_budget_held', 'held in flight by reservations in the current window (currency units)');
  const remaining = gauge('vidgate_budget_remaining', 'available in the current window: limit - spent - held (currency units)');
  const jobs = counter('vidgate_jobs_total', 'jobs by outcome this month (admitted, downgraded, completed, released, expired); resets at the start of a UTC month');
  const rejected = counter('vidgate_jobs_rejected_total', 'rejected jobs by code this month');
  const saved = counter('vidgate_savings_total', 'what each policy rule saved this month (currency units)');
  const billed = counter('vidgate_billed_total', "what the provider billed for completed jobs this month, with their estimates beside (currency units)");
  const estimated = counter('vidgate_estimated_total', 'what the estimates of completed jobs said this month (currency units)');
  const reconciled = counter('vidgate_reconciled_total', 'what reconciliation added to or took from the charges this month (currency units)');
  for (const t of teams) {
    for (const v of t.views) {
      const l = { team: t.team, scope: v.project === undefined ? 'team' : 'project', project: v.project ?? '', period: v.period, window: v.window };
      limit.add(l, v.limit);
      spent.add(l, v.spent);
      held.add(l, v.reserved);
      remaining.add(l, v.available);
    }
    const sums = new Map<string, { l: Labels; money: Map<Family, Money>; counts: Map<string, number> }>();
    const bump = <K>(m: Map<K, Money>, k: K, v: Money) => m.set(k, (m.get(k) ?? money('0')).plus(v));
    for (const r of t.rows) {
      const key = `${r.project}|${r.model}`;
      const s = sums.get(key) ?? { l: { team: t.team, project: r.project, model: r.model }, money: new Map(), counts: new Map() };
      sums.set(key, s);
      bump(s.money, billed, r.actual);
      bump(s.money, estimated, r.estimate);
      bump(s.money, reconciled, r.reconciled);
      for (const outcome of Object.values(COUNT_MEASURES)) s.counts.set(`o:${outcome}`, (s.counts.get(`o:${outcome}`) ?? 0) + r.jobs[outcome]);
      for (const [code, n] of r.rejected) s.counts.set(`r:${code}`, (s.counts.get(`r:${code}`) ?? 0) + n);
      for (const [rule, amount] of r.savings) {
        const sk = `${r.project}|${rule}`;
        const ss = sums.get(`s|${sk}`) ?? { l: { team: t.team, project: r.project, rule }, money: new Map(), counts: new Map() };
        sums.set(`s|${sk}`, ss);
        bump(ss.money, saved, amount);
      }
    }
    for (const s of [...sums.values()]) {
      for (const [family, amount] of s.money) family.add(s.l, formatMoney(amount));
      for (const [k, n] of s.counts) {
        if (k.startsWith('o:')) jobs.add({ ...s.l, outcome: k.slice(2) }, n);
        else rejected.add({ ...s.l, code: k.slice(2) }, n);
      }
    }
  }
  return [limit, spent, held, remaining, jobs, rejected, saved, billed, estimated, reconciled].map((f) => f.text()).join('');
}

/** The days of this UTC month up to today, which the counters read. */
export const monthSoFar = (nowMs: number) => windowDays('monthly', nowMs);

/** Queue depths by state, from BullMQ (prom-client's gauge, read at scrape time). */
export function queueRegistry(queues: Queue[]): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'vidgate_queue_jobs',
    help: 'jobs in each queue by state (BullMQ getJobCounts)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of queues) {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
      }
    },
  });
  return registry;
}

export interface MetricsAccess {
  /** VIDGATE_METRICS_TOKEN: a bearer token for the scraper alone. */
  token?: string | undefined;
  /** The admin key of VIDGATE_ADMIN_KEY (a stored admin key works too). */
  adminKey?: string | undefined;
}

const BEARER = /^Bearer ([\x21-\x7e]{1,200})$/;

/** GET /metrics: the scraper's token, or an admin key; anything else is 401 (the figures are every team's). */
export function metricsRoutes(app: FastifyInstance, ctx: RouteContext, queues: Queue[], teamsOf: () => Promise<string[]>, access: MetricsAccess): void {
  const registry = queueRegistry(queues);
  const workersPrefix = queuePrefix(ctx.prefix, ctx.redis);
  app.get('/metrics', async (req, reply) => {
    const presented = BEARER.exec(req.headers.authorization ?? '')?.[1];
    let ok = false;
    if (presented !== undefined) {
      if (access.token && sameSecret(presented, access.token)) ok = true;
      else if (access.adminKey && sameSecret(presented, access.adminKey)) ok = true;
      else ok = (await ctx.keys.verify(presented))?.role === 'admin';
    }
    if (!ok) throw new ServiceError(401, 'unauthorized', 'send VIDGATE_METRICS_TOKEN or an admin key as "Authorization: Bearer <token>"', { field: 'authorization' });
    const now = Date.now();
    const span = monthSoFar(now);
    const teams = await Promise.all(
      (await teamsOf()).map(async (team): Promise<TeamFigures> => {
        const stored = await ctx.policies.current(team);
        const projects = stored ? Object.keys(stored.active.policy.budgets.projects) : [];
        const [views, rows] = await Promise.all([ctx.ledger.getBudgets(team, projects), ctx.ledger.history({ team, ...span })]);
        return { team, views: views.filter((v): v is BudgetView => v !== null), rows };
      }),
    );
    const text = ledgerMetrics(teams) + storedMetricsText(await readStoredMetrics(ctx.redis, workersPrefix)) + (await registry.metrics());
    return reply.type(registry.contentType).header('cache-control', 'no-store').send(text);
  });
}
