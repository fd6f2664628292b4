import { formatMoney, fromMicros } from '../money.js';
import type { RedisConnection as Redis } from '../redis-connection.js';
import { COUNTERS, FIELD_SEPARATOR, HISTOGRAMS, metricsKey, type CounterFamily, type HistogramFamily } from './families.js';

/** Each family's hash as Redis holds it (field → value text). */
export type StoredMetrics = Map<string, Record<string, string>>;

/** Reads every family's hash: one round trip (the hashes share the queue prefix's slot). */
export async function readStoredMetrics(redis: Redis, queuePrefix: string): Promise<StoredMetrics> {
  const families = [...HISTOGRAMS, ...COUNTERS];
  const p = redis.pipeline();
  for (const f of families) p.hgetall(metricsKey(queuePrefix, f));
  const replies = (await p.exec()) ?? [];
  const stored: StoredMetrics = new Map();
  families.forEach((f, i) => {
    const [err, hash] = replies[i] ?? [new Error('no reply')];
    if (err) throw err;
    stored.set(f.key, (hash ?? {}) as Record<string, string>);
  });
  return stored;
}

/** A label value as the exposition format wants it: backslash, quote and newline escaped. */
const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (names: readonly string[], values: readonly string[], extra = '') => {
  const parts = names.map((n, i) => `${n}="${escape(values[i]!)}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const INTEGER = /^-?\d+$/;

/**
 * A histogram family from its hash: per label set, cumulative `_bucket` lines over the family's
 * bounds and +Inf, `_sum` and `_count` (= the +Inf bucket). A stored bound the family no longer
 * has (its buckets changed between versions) counts in the next bound above it, so no observation
 * is lost from `_count`. Fields that do not parse are left out.
 */
export function histogramText(family: HistogramFamily, hash: Record<string, string>): string {
  const bounds = family.buckets;
  const sets = new Map<string, { values: string[]; counts: number[]; sum: string }>();
  for (const [field, text] of Object.entries(hash)) {
    const parts = field.split(FIELD_SEPARATOR);
    if (parts.length !== family.labels.length + 1) continue;
    const le = parts.pop()!;
    const key = parts.join(FIELD_SEPARATOR);
    let set = sets.get(key);
    if (!set) sets.set(key, (set = { values: parts, counts: new Array<number>(bounds.length + 1).fill(0), sum: '0' }));
    if (le === 'sum') {
      if (Number.isFinite(Number(text))) set.sum = text;
      continue;
    }
    const bound = le === '+Inf' ? Infinity : Number(le);
    if (Number.isNaN(bound) || !INTEGER.test(text)) continue;
    const at = bounds.findIndex((b) => bound <= b);
    set.counts[at === -1 ? bounds.length : at]! += Number(text);
  }
  const lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} histogram`];
  for (const key of [...sets.keys()].sort()) {
    const { values, counts, sum } = sets.get(key)!;
    let cumulative = 0;
    counts.forEach((n, i) => {
      cumulative += n;
      const le = i < bounds.length ? String(bounds[i]) : '+Inf';
      lines.push(`${family.name}_bucket${labelText(family.labels, values, `le="${le}"`)} ${cumulative}`);
    });
    lines.push(`${family.name}_sum${labelText(family.labels, values)} ${sum}`);
    lines.push(`${family.name}_count${labelText(family.labels, values)} ${cumulative}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A counter (or gauge) family from its hash; money families are micro-units, written in currency units. */
export function counterText(family: CounterFamily, hash: Record<string, string>): string {
  const lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.gauge ? 'gauge' : 'counter'}`];
  for (const field of Object.keys(hash).sort()) {
    const values = field.split(FIELD_SEPARATOR);
    const text = hash[field]!;
    if (values.length !== family.labels.length || !INTEGER.test(text)) continue;
    lines.push(`${family.name}${labelText(family.labels, values)} ${family.money ? formatMoney(fromMicros(text)) : text}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Every family the workers and reconciliation wrote, as exposition text. */
export function storedMetricsText(stored: StoredMetrics): string {
  return [...HISTOGRAMS.map((f) => histogramText(f, stored.get(f.key) ?? {})), ...COUNTERS.map((f) => counterText(f, stored.get(f.key) ?? {}))].join('');
}
