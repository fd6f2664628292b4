import type { Report } from '../report/report.js';
import { table } from './table.js';

const MONEY_COLS = new Set([2, 3, 4, 5, 6]);

/** The report as text tables, for a terminal. */
export function reportTable(r: Report): string {
  const t = r.totals;
  const out: string[] = [];
  out.push(`Spend report: team ${r.team}${r.project ? `, project ${r.project}` : ''}, ${r.from} to ${r.to} (UTC days)`);
  out.push('');
  out.push(`spent ${t.spent} (committed ${t.committed}, reconciled ${t.reconciled}); reserved ${t.reserved}, released ${t.released}; saved ${t.saved}`);
  out.push(`jobs: ${t.jobs.admitted} admitted, ${t.jobs.downgraded} downgraded, ${t.jobs.rejected} rejected; ${t.jobs.completed} completed, ${t.jobs.released} released, ${t.jobs.expired} expired`);
  out.push(`estimate vs actual (completed jobs): estimated ${t.estimate}, billed ${t.actual}, variance ${t.variance}${t.uncharged !== '0.00' ? `; ${t.uncharged} billed beyond a full budget, uncharged` : ''}`);
  out.push('', 'Spend by project and model');
  out.push(table(['project', 'model', 'spent', 'estimate', 'actual', 'variance', 'completed'], r.byProjectModel.map((p) => [p.project, p.model, p.spent, p.estimate, p.actual, p.variance, String(p.completed)]), MONEY_COLS));
  out.push('', 'Savings by rule');
  out.push(r.savings.length ? table(['rule', 'saved'], r.savings.map((s) => [s.rule, s.amount]), new Set([1])) : '(none)');
  out.push('', 'Rejections');
  out.push(r.rejections.length ? table(['code', 'jobs'], r.rejections.map((x) => [x.code, String(x.count)]), new Set([1])) : '(none)');
  out.push('', 'Most expensive jobs');
  out.push(r.topJobs.length ? table(['job', 'project', 'model', 'month', 'cost'], r.topJobs.map((j) => [j.jobId || j.reservationId, j.project, j.model, j.month, j.cost]), new Set([4])) : '(none)');
  return `${out.join('\n')}\n`;
}
