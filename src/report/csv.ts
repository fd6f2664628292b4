import type { Report } from './report.js';

// The report as one CSV table (RFC 4180: CRLF lines, fields with a comma, quote or line break
// quoted, quotes doubled), in long form so a spreadsheet can pivot it: one figure per line.

const HEADER = ['section', 'project', 'model', 'item', 'measure', 'value'];
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * A cell of text: a value a spreadsheet would run as a formula (starting with = + - @, a tab or a
 * carriage return) is prefixed with ' so it stays text; then RFC 4180 quoting.
 */
export function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A figure goes out as it is: only a plain decimal number is one (anything else is text). */
function csvValue(value: string | number): string {
  const text = String(value);
  return NUMBER.test(text) ? text : csvText(text);
}

type Line = [section: string, project: string, model: string, item: string, measure: string, value: string | number];

function lines(r: Report): Line[] {
  const out: Line[] = [];
  const t = r.totals;
  for (const m of ['spent', 'reserved', 'committed', 'reconciled', 'released', 'actual', 'estimate', 'variance', 'uncharged', 'saved'] as const) out.push(['total', '', '', '', m, t[m]]);
  for (const [k, n] of Object.entries(t.jobs)) out.push(['jobs', '', '', '', k, n]);
  for (const p of r.byProjectModel) for (const m of ['spent', 'actual', 'estimate', 'variance', 'completed'] as const) out.push(['spend', p.project, p.model, '', m, p[m]]);
  for (const s of r.savings) out.push(['savings', '', '', s.rule, 'saved', s.amount]);
  for (const x of r.rejections) out.push(['rejections', '', '', x.code, 'jobs', x.count]);
  for (const d of r.byDay) out.push(['day', '', '', d.day, 'spent', d.spent], ['day', '', '', d.day, 'saved', d.saved]);
  for (const j of r.topJobs) out.push(['top-job', j.project, j.model, j.jobId || j.reservationId, 'cost', j.cost]);
  return out;
}

export function reportCsv(r: Report): string {
  const rows = [HEADER.map(csvText).join(',')];
  for (const [section, project, model, item, measure, value] of lines(r)) rows.push([section, project, model, item, measure].map(csvText).concat(csvValue(value)).join(','));
  return `${rows.join('\r\n')}\r\n`;
}
