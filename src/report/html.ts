import { createHash } from 'node:crypto';
import { barChart, columnChart } from './charts.js';
import { escapeHtml } from './escape.js';
import type { Report } from './report.js';

// The report as one self-contained HTML page, for mailing to a producer: inline CSS, inline SVG
// charts, no script and no request to any host. A Content-Security-Policy forbids everything
// but this page's own style sheet (by its hash) and inline images.

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:60em}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}table{border-collapse:collapse;margin:.5em 0}
th,td{padding:.25em .75em;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.25em}svg text{font:12px system-ui,sans-serif;fill:#222}
.empty{color:#777}.totals td{border:none}`;

const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; img-src data:; base-uri 'none'; form-action 'none'`;

function htmlTable(headers: string[], rows: string[][], numeric: ReadonlySet<number>): string {
  if (rows.length === 0) return '<p class="empty">None.</p>';
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function reportHtml(r: Report): string {
  const t = r.totals;
  const scope = `team ${r.team}${r.project ? `, project ${r.project}` : ''}`;
  const parts = [
    `<h1>Spend report: ${escapeHtml(scope)}</h1>`,
    `<p>${escapeHtml(r.from)} to ${escapeHtml(r.to)} (UTC days)</p>`,
    `<table class="totals"><tbody>${[
      ['Spent', t.spent],
      ['Reserved', t.reserved],
      ['Released', t.released],
      ['Saved by the policy', t.saved],
      ['Estimated (completed jobs)', t.estimate],
      ['Billed (completed jobs)', t.actual],
      ['Variance (billed − estimated)', t.variance],
    ]
      .map(([k, v]) => `<tr><td>${escapeHtml(k!)}</td><td class="n">${escapeHtml(v!)}</td></tr>`)
      .join('')}</tbody></table>`,
    `<p>${t.jobs.admitted} admitted, ${t.jobs.downgraded} downgraded, ${t.jobs.rejected} rejected; ${t.jobs.completed} completed, ${t.jobs.released} released, ${t.jobs.expired} expired.</p>`,
    '<h2>Spend</h2>',
    barChart('Spend by project', r.byProject.map((p) => ({ label: p.project, value: p.spent }))),
    barChart('Spend by model', r.byModel.map((m) => ({ label: m.model, value: m.spent }))),
    columnChart('Spend per day', r.byDay.map((d) => ({ label: d.day, value: d.spent }))),
    htmlTable(['project', 'model', 'spent', 'estimated', 'billed', 'variance', 'completed'], r.byProjectModel.map((p) => [p.project, p.model, p.spent, p.estimate, p.actual, p.variance, String(p.completed)]), new Set([2, 3, 4, 5, 6])),
    '<h2>Savings by rule</h2>',
    barChart('Saved by each rule', r.savings.map((s) => ({ label: s.rule, value: s.amount }))),
    '<h2>Estimate against actual, by model</h2>',
    barChart('Variance (billed − estimated)', r.byModel.map((m) => ({ label: m.model, value: m.variance }))),
    htmlTable(['model', 'estimated', 'billed', 'variance'], r.byModel.map((m) => [m.model, m.estimate, m.actual, m.variance]), new Set([1, 2, 3])),
    '<h2>Rejections</h2>',
    htmlTable(['code', 'jobs'], r.rejections.map((x) => [x.code, String(x.count)]), new Set([1])),
    '<h2>Most expensive jobs</h2>',
    htmlTable(['job', 'project', 'model', 'month', 'billed'], r.topJobs.map((j) => [j.jobId || j.reservationId, j.project, j.model, j.month, j.cost]), new Set([4])),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(`vidgate spend report: ${scope}, ${r.from} to ${r.to}`)}</title>
<style>${CSS}</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}
