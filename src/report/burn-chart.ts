import { money, type Money } from '../money.js';
import { escapeHtml } from './escape.js';

// The burn-down of one budget window as inline SVG, beside the report's bar charts (charts.ts):
// spent, then held in flight, on a scale of the limit (or the projection, if larger), with the
// alert thresholds and the projected end marked. Lengths come from Decimal arithmetic.

export interface BurnFigures {
  title: string;
  limit: string;
  spent: string;
  held: string;
  alerts: string[];
  /** Where the window ends at the current rate; null draws no projection. */
  projected: string | null;
}

const WIDTH = 640;
const LEFT = 10;
const SPAN = WIDTH - 2 * LEFT;

const at = (value: Money, max: Money) => (max.lte(0) || value.lte(0) ? '0' : value.dividedBy(max).times(SPAN).toDecimalPlaces(1).toFixed(1));

export function burnChart(f: BurnFigures): string {
  const limit = money(f.limit);
  const spent = money(f.spent);
  const held = money(f.held);
  const projected = f.projected === null ? null : money(f.projected);
  let max = limit;
  for (const v of [spent.plus(held), projected ?? money('0')]) if (v.gt(max)) max = v;
  const spentW = at(spent, max);
  const heldW = at(held, max);
  const x = (v: Money) => (LEFT + Number(at(v, max))).toFixed(1);
  const marks = [
    `<line x1="${x(limit)}" y1="4" x2="${x(limit)}" y2="46" stroke="#222" stroke-width="2"><title>limit ${escapeHtml(f.limit)}</title></line>`,
    ...f.alerts.map((a) => `<line x1="${x(money(a))}" y1="8" x2="${x(money(a))}" y2="42" stroke="#eb3b5a" stroke-dasharray="3 2"><title>alert at ${escapeHtml(a)}</title></line>`),
    ...(projected ? [`<line x1="${x(projected)}" y1="2" x2="${x(projected)}" y2="48" stroke="#8854d0" stroke-width="2" stroke-dasharray="6 3"><title>projected ${escapeHtml(f.projected!)}</title></line>`] : []),
  ];
  const legend = `spent ${f.spent} · held ${f.held} · limit ${f.limit}${f.projected === null ? '' : ` · projected ${f.projected}`}`;
  return (
    `<figure><figcaption>${escapeHtml(f.title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(`${f.title}: ${legend}`)}" viewBox="0 0 ${WIDTH} 70" width="100%" preserveAspectRatio="xMinYMin meet">` +
    `<rect x="${LEFT}" y="10" width="${SPAN}" height="30" fill="#eef1f6"/>` +
    `<rect x="${LEFT}" y="10" width="${spentW}" height="30" fill="#3867d6"/>` +
    `<rect x="${(LEFT + Number(spentW)).toFixed(1)}" y="10" width="${heldW}" height="30" fill="#f7b731"/>` +
    marks.join('') +
    `<text x="${LEFT}" y="64">${escapeHtml(legend)}</text></svg></figure>`
  );
}
