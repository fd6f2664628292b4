import { money, type Money } from '../money.js';
import { escapeHtml } from './escape.js';

// Small inline SVG charts for the HTML report, drawn here so the page needs nothing from any
// other host. Bar lengths come from Decimal arithmetic; every label is escaped.

export interface Bar {
  label: string;
  /** A decimal string: the bar's value (a negative one draws no bar, its text says it). */
  value: string;
}

const WIDTH = 640;
const LABEL = 180;
const ROW = 22;
const PALETTE = ['#3867d6', '#20bf6b', '#f7b731', '#eb3b5a', '#8854d0', '#0fb9b1'];

/** The length of `value` on a scale where `max` takes `span` units, as text with one decimal. */
function scaled(value: Money, max: Money, span: number): string {
  if (max.lte(0) || value.lte(0)) return '0';
  return value.dividedBy(max).times(span).toFixed(1);
}

const maxOf = (values: Money[]) => values.reduce((m, v) => (v.gt(m) ? v : m), money('0'));

/** Horizontal bars, one per item, with its value written at the end. */
export function barChart(title: string, bars: Bar[]): string {
  if (bars.length === 0) return `<p class="empty">${escapeHtml(title)}: nothing in this span.</p>`;
  const values = bars.map((b) => money(b.value));
  const max = maxOf(values);
  const span = WIDTH - LABEL - 90;
  const height = bars.length * ROW + 10;
  const rows = bars.map((b, i) => {
    const y = i * ROW + 5;
    const w = scaled(values[i]!, max, span);
    return `<text x="${LABEL - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(b.label)}</text>` +
      `<rect x="${LABEL}" y="${y + 3}" width="${w}" height="${ROW - 6}" fill="${PALETTE[i % PALETTE.length]}"/>` +
      `<text x="${LABEL + Number(w) + 6}" y="${y + 15}">${escapeHtml(b.value)}</text>`;
  });
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${rows.join('')}</svg></figure>`;
}

/** Columns over time (one per day), with the first and last day and the largest value labelled. */
export function columnChart(title: string, bars: Bar[]): string {
  if (bars.length === 0) return `<p class="empty">${escapeHtml(title)}: nothing in this span.</p>`;
  const values = bars.map((b) => money(b.value));
  const max = maxOf(values);
  const height = 160;
  const plot = height - 30;
  const step = (WIDTH - 20) / bars.length;
  const cols = bars.map((b, i) => {
    const h = scaled(values[i]!, max, plot);
    const x = (10 + i * step).toFixed(1);
    const y = (plot - Number(h) + 5).toFixed(1);
    return `<rect x="${x}" y="${y}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h}" fill="${PALETTE[0]}"><title>${escapeHtml(`${b.label}: ${b.value}`)}</title></rect>`;
  });
  const first = escapeHtml(bars[0]!.label);
  const last = escapeHtml(bars.at(-1)!.label);
  return `<figure><figcaption>${escapeHtml(title)} (largest ${escapeHtml(max.toFixed(2))})</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${cols.join('')}<text x="10" y="${height - 6}">${first}</text><text x="${WIDTH - 10}" y="${height - 6}" text-anchor="end">${last}</text></svg></figure>`;
}
