import type { RedisConnection as Redis } from '../redis-connection.js';
import { FIELD_SEPARATOR, metricsKey } from './families.js';
import type { MetricsRecorder, Observations } from './recorder.js';

/**
 * The workers run apart from `vidgate serve`, so what they observe must reach it through Redis.
 * Writing each observation would put a Redis call on every job; instead each process aggregates in
 * memory (MetricsRecorder) and a flusher writes the deltas about once a second, in one MULTI of
 * HINCRBY / HINCRBYFLOAT over one hash per family. The hashes sit under the queue prefix (hash-
 * tagged on a cluster), so the MULTI touches one slot. The sums are additive, so any number of
 * processes flush into the same hashes and the service reads their totals. A process that dies
 * loses what it observed since its last flush (at most about a second); a flush that fails is
 * put back and written with the next.
 */
export class MetricsFlusher {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly redis: Redis,
    private readonly queuePrefix: string,
    readonly recorder: MetricsRecorder,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  start(intervalMs = 1000): this {
    // While Redis is away a flush waits for it: ticks meanwhile add nothing (the recorder keeps counting).
    this.timer = setInterval(() => this.pending === 0 && void this.flush().catch(this.onError), intervalMs);
    this.timer.unref();
    return this;
  }

  /** Writes what was observed so far; flushes never overlap (a slow one delays the next). */
  flush(): Promise<void> {
    this.pending++;
    const next = this.chain.then(() => this.write()).finally(() => this.pending--);
    this.chain = next.catch(() => {});
    return next;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.recorder.isEmpty()) return;
    const taken = this.recorder.take();
    try {
      const multi = this.redis.multi();
      addCommands(multi, this.queuePrefix, taken);
      const replies = await multi.exec();
      const failed = replies?.find(([err]) => err)?.[0];
      if (!replies || failed) throw failed ?? new Error('metrics flush: the transaction was discarded');
    } catch (err) {
      this.recorder.restore(taken);
      throw err;
    }
  }
}

interface Commands {
  hincrby(key: string, field: string, n: number | string): unknown;
  hincrbyfloat(key: string, field: string, n: number | string): unknown;
}

/** The deltas as hash increments: `labels|le` per non-empty bucket (not cumulative) and `labels|sum`. */
export function addCommands(c: Commands, queuePrefix: string, o: Observations): void {
  for (const [family, cells] of o.histograms) {
    const key = metricsKey(queuePrefix, family);
    for (const [labels, cell] of cells) {
      cell.counts.forEach((n, i) => {
        if (n > 0) c.hincrby(key, `${labels}${FIELD_SEPARATOR}${i < family.buckets.length ? String(family.buckets[i]) : '+Inf'}`, n);
      });
      c.hincrbyfloat(key, `${labels}${FIELD_SEPARATOR}sum`, cell.sum);
    }
  }
  for (const [family, cells] of o.counters) {
    const key = metricsKey(queuePrefix, family);
    for (const [labels, n] of cells) if (n !== 0) c.hincrby(key, labels, n);
  }
}
