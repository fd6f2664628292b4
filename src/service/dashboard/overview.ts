import type { BudgetView } from '../../ledger/schema.js';
import { buildReport, type Report } from '../../report/report.js';
import { DEFAULTS } from '../../defaults.js';
import type { RouteContext } from '../app.js';
import { jobStatus, type JobStatus } from '../job-view.js';
import { burnOf, windowDays, type Burn } from './burndown.js';

/** One row of the jobs table: what the page shows of a job, every string as the job has it (escaped where shown). */
export interface JobRow {
  id: string;
  project: string;
  state: string;
  decision: string;
  explanation: string;
  variant: string;
  cost: string;
}

/** What the team page shows: the burn-down of each scope, the window's report (savings, variance) and the latest jobs. */
export interface Overview {
  team: string;
  burns: Burn[];
  report: Report;
  jobs: JobRow[];
}

export function jobRow(s: JobStatus): JobRow {
  const d = s.decision;
  const c = d?.chosen;
  return {
    id: s.id,
    project: s.project ?? '',
    state: s.state,
    decision: d?.code ?? '',
    explanation: d ? [...d.rules.map((r) => `${r.rule}: ${r.detail}`), ...d.reasons].join('; ') : '',
    variant: c ? `${c.model} ${c.resolution} ${c.durationSeconds}s${c.audio === 'none' ? '' : ` audio ${c.audio}`}` : '',
    cost: s.actualCost ?? d?.cost ?? '',
  };
}

/** The team's latest jobs (those submitted through the service), newest first. */
export async function latestJobs(ctx: RouteContext, team: string, count = DEFAULTS.dashboardJobsShown): Promise<JobRow[]> {
  const ids = await ctx.index.page(team, count);
  const views = await Promise.all(ids.map(async ({ id }) => [await ctx.client.show(team, id), await ctx.client.cancelled(team, id)] as const));
  return views.flatMap(([view, cancelled]) => (view ? [jobRow(jobStatus(view, cancelled ? 'cancelled' : null, view.project))] : []));
}

/** The ledger's live views of the team and each project of its policy (null: no policy). */
export async function budgetViews(ctx: RouteContext, team: string): Promise<BudgetView[] | null> {
  const stored = await ctx.policies.current(team);
  if (!stored) return null;
  const projects = Object.keys(stored.active.policy.budgets.projects);
  return (await ctx.ledger.getBudgets(team, projects)).filter((v): v is BudgetView => v !== null);
}

export async function overview(ctx: RouteContext, team: string, nowMs = Date.now()): Promise<Overview | null> {
  const views = await budgetViews(ctx, team);
  if (!views) return null;
  const burns = views.map((v) => burnOf(v, nowMs));
  // Savings and variance over the team budget's window (this month's for a budget with no period).
  const span = windowDays(views.find((v) => v.project === undefined)?.period ?? 'monthly', nowMs);
  const query = { team, ...span };
  const [rows, top, jobs] = await Promise.all([ctx.ledger.history(query), ctx.ledger.topJobs({ ...query, limit: 10 }), latestJobs(ctx, team)]);
  return { team, burns, report: buildReport(query, rows, top), jobs };
}

/** The jobs table's filters: project and state exactly, decision code by part. */
export function matches(j: JobRow, f: { project?: string | undefined; state?: string | undefined; decision?: string | undefined }): boolean {
  return (!f.project || j.project === f.project) && (!f.state || j.state === f.state) && (!f.decision || j.decision.toLowerCase().includes(f.decision.toLowerCase()));
}
