import { FIELD_SEPARATOR, type CounterFamily, type HistogramFamily } from './families.js';

/** One label set of a histogram, since the last flush: observations per bucket (not cumulative) and their sum. */
export interface HistogramCell {
  /** counts[i] for buckets[i]; the last one is +Inf. */
  counts: number[];
  sum: number;
}

/** What a process observed since its last flush, by family and label values (joined by `|`). */
export interface Observations {
  histograms: Map<HistogramFamily, Map<string, HistogramCell>>;
  counters: Map<CounterFamily, Map<string, number>>;
}

const empty = (): Observations => ({ histograms: new Map(), counters: new Map() });

/** The index of the bucket an observation falls in: the first bound it does not exceed, else +Inf. */
export function bucketIndex(buckets: readonly number[], value: number): number {
  for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) return i;
  return buckets.length;
}

/**
 * Observations aggregated in memory, in the fixed buckets of their family: recording one is a map
 * lookup and an increment (the per-job hot path pays nothing else, and never a Redis call). The
 * flusher takes what accumulated and writes it as deltas.
 */
export class MetricsRecorder {
  private current = empty();

  observe(family: HistogramFamily, labels: readonly string[], seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    const value = Math.max(0, seconds); // clocks of two processes may disagree by a little
    let cells = this.current.histograms.get(family);
    if (!cells) this.current.histograms.set(family, (cells = new Map()));
    const key = labels.join(FIELD_SEPARATOR);
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { counts: new Array<number>(family.buckets.length + 1).fill(0), sum: 0 }));
    cell.counts[bucketIndex(family.buckets, value)]!++;
    cell.sum += value;
  }

  /** Adds `n` to a count (never money: amounts go to Redis as micro-unit strings, see reconcile.ts). */
  count(family: CounterFamily, labels: readonly string[], n = 1): void {
    let cells = this.current.counters.get(family);
    if (!cells) this.current.counters.set(family, (cells = new Map()));
    const key = labels.join(FIELD_SEPARATOR);
    cells.set(key, (cells.get(key) ?? 0) + n);
  }

  /** Everything since the last take, leaving the recorder empty. */
  take(): Observations {
    const taken = this.current;
    this.current = empty();
    return taken;
  }

  /** Puts back what a failed flush took, so the next one writes it. */
  restore(o: Observations): void {
    for (const [family, cells] of o.histograms) {
      let mine = this.current.histograms.get(family);
      if (!mine) this.current.histograms.set(family, (mine = new Map()));
      for (const [key, cell] of cells) {
        const now = mine.get(key);
        if (!now) mine.set(key, cell);
        else {
          cell.counts.forEach((n, i) => (now.counts[i]! += n));
          now.sum += cell.sum;
        }
      }
    }
    for (const [family, cells] of o.counters) for (const [key, n] of cells) this.count(family, key.split(FIELD_SEPARATOR), n);
  }

  isEmpty(): boolean {
    return this.current.histograms.size === 0 && this.current.counters.size === 0;
  }
}
