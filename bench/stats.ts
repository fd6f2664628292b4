/** Latency percentiles (ms) from a list of samples. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export interface Run {
  label: string;
  ops: number;
  seconds: number;
  latencies?: number[];
  /** CPU microseconds per operation, of this process and of Redis. */
  cpuPerJob?: { node: number; redis: number };
}

export const rate = (r: Run) => r.ops / r.seconds;

export const median = (values: number[]) => percentile(values, 50);

export function report(r: Run, baseline?: Run): string {
  const parts = [`${r.label.padEnd(44)} ${rate(r).toFixed(0).padStart(8)} ops/s`];
  if (r.latencies?.length) parts.push(`p50 ${percentile(r.latencies, 50).toFixed(3)} ms  p99 ${percentile(r.latencies, 99).toFixed(3)} ms`);
  if (baseline) parts.push(`ratio ${(rate(r) / rate(baseline)).toFixed(2)} of baseline`);
  if (r.cpuPerJob) parts.push(`cpu/op: node ${r.cpuPerJob.node.toFixed(0)} µs, redis ${r.cpuPerJob.redis.toFixed(0)} µs`);
  return parts.join('  ');
}

/** Times `n` sequential calls, recording each call's latency. */
export async function sequential(label: string, n: number, op: (i: number) => Promise<unknown>): Promise<Run> {
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op(i);
    latencies.push(performance.now() - t);
  }
  return { label, ops: n, seconds: (performance.now() - start) / 1000, latencies };
}

/** Times `n` calls issued `depth` at a time on the same connection (ioredis pipelines them). */
export async function pipelined(label: string, n: number, depth: number, op: (i: number) => Promise<unknown>): Promise<Run> {
  const start = performance.now();
  for (let i = 0; i < n; i += depth) {
    await Promise.all(Array.from({ length: Math.min(depth, n - i) }, (_, j) => op(i + j)));
  }
  return { label, ops: n, seconds: (performance.now() - start) / 1000 };
}

/** The CPU time per job of `r` over `baseline`'s, this process's and Redis's. */
export function cpuRatios(r: Run, baseline: Run): { node: number; redis: number } {
  if (!r.cpuPerJob || !baseline.cpuPerJob) throw new Error(`cpuRatios: ${r.cpuPerJob ? baseline.label : r.label} has no CPU figures`);
  return { node: r.cpuPerJob.node / baseline.cpuPerJob.node, redis: r.cpuPerJob.redis / baseline.cpuPerJob.redis };
}

/** "node CPU per job 1.85 (target ≤ 2: met)". */
export function verdict(what: string, ratio: number, atMost: number): string {
  return `${what} ${ratio.toFixed(2)} (target ≤ ${atMost}: ${ratio <= atMost ? 'met' : 'not met'})`;
}
