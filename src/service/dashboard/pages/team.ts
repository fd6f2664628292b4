import { barChart } from '../../../report/charts.js';
import { burnChart } from '../../../report/burn-chart.js';
import type { Burn } from '../burndown.js';
import type { JobRow, Overview } from '../overview.js';
import { e, layout } from './layout.js';

const FIGURES = ['limit', 'spent', 'held', 'available', 'projected'] as const;

/** A scope's figures, each cell marked (data-k) so the live script and the tests find it. */
function burnRow(b: Burn): string {
  const cells = FIGURES.map((k) => `<td data-k="${k}">${e(b[k] ?? '—')}</td>`).join('');
  return `<tr data-scope="${e(`${b.scope}:${b.name}`)}"><th>${e(`${b.scope} ${b.name}`)}</th><td>${e(b.window)}</td>${cells}<td>${e(b.alerts.map((a) => `${a.amount} (${a.fraction * 100}%)`).join(', '))}</td></tr>`;
}

export const JOB_COLUMNS = ['id', 'project', 'state', 'decision', 'explanation', 'variant', 'cost'] as const;

export function jobRowHtml(j: JobRow): string {
  return `<tr data-job="${e(j.id)}">${JOB_COLUMNS.map((k) => `<td data-k="${k}">${e(j[k])}</td>`).join('')}</tr>`;
}

export function teamPage(o: Overview, filters: { project?: string; state?: string; decision?: string }, admin: boolean): string {
  const projects = o.burns.filter((b) => b.scope === 'project').map((b) => b.name);
  const option = (v: string, sel?: string) => `<option value="${e(v)}"${v === sel ? ' selected' : ''}>${e(v || 'any')}</option>`;
  const states = ['', 'queued', 'deciding', 'rejected', 'admitted', 'generating', 'completed', 'failed', 'cancelled'];
  const r = o.report;
  const body = `<h1>Team ${e(o.team)}</h1>
<section><h2>Budgets this window</h2>
<div class="scroll"><table id="burns"><thead><tr><th>scope</th><th>window</th>${FIGURES.map((k) => `<th>${k}</th>`).join('')}<th>alerts</th></tr></thead><tbody>${o.burns.map(burnRow).join('\n')}</tbody></table></div>
<div class="charts">${o.burns.map((b) => burnChart({ title: `${b.scope} ${b.name} (${b.window})`, limit: b.limit, spent: b.spent, held: b.held, alerts: b.alerts.map((a) => a.amount), projected: b.projected })).join('\n')}</div>
</section>
<section><h2>Savings by rule (${e(r.from)} to ${e(r.to)})</h2>
${barChart('Saved by each rule', r.savings.map((s) => ({ label: s.rule, value: s.amount })))}
<h2>Estimate against actual, by model</h2>
${barChart('Variance (billed − estimated)', r.byModel.map((m) => ({ label: m.model, value: m.variance })))}
</section>
<section><h2>Jobs <span class="muted" id="live-state">live</span></h2>
<form method="get" class="filters" id="filters">
<label>project <select name="project">${['', ...projects].map((p) => option(p, filters.project)).join('')}</select></label>
<label>state <select name="state">${states.map((s) => option(s, filters.state)).join('')}</select></label>
<label>decision <input name="decision" value="${e(filters.decision ?? '')}" maxlength="60"></label>
<button>Filter</button>
</form>
<div class="scroll"><table id="jobs" data-live="/dashboard/teams/${e(encodeURIComponent(o.team))}/live"><thead><tr>${['job', 'project', 'state', 'decision', 'explanation', 'variant', 'cost'].map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>${o.jobs.map(jobRowHtml).join('\n')}</tbody></table></div>
</section>`;
  return layout(`Team ${o.team}`, body, { team: o.team, signedIn: true, ...(admin ? {} : {}) });
}
