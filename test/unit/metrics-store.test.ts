// The workers' metrics as pure pieces: observations land in their family's fixed buckets, a
// failed flush puts them back whole, and the exposition is cumulative with `_count` = +Inf.
import { describe, expect, it } from 'vitest';
import { DECISION_LATENCY, PROVIDER_ERRORS, RECONCILE_SETTLED_AMOUNT, type HistogramFamily } from '../../src/metrics/families.js';
import { addCommands } from '../../src/metrics/flusher.js';
import { counterText, histogramText } from '../../src/metrics/reader.js';
import { bucketIndex, MetricsRecorder } from '../../src/metrics/recorder.js';
import { WorkerMetrics } from '../../src/metrics/worker-metrics.js';

const H: HistogramFamily = { key: 'h', name: 'vg_h_seconds', help: 'a test histogram', labels: ['outcome'], buckets: [0.1, 1, 10] };

/** What the flusher would write for a recorder's observations, as one hash. */
function written(r: MetricsRecorder): Record<string, string> {
  const hash: Record<string, string> = {};
  const add = (_key: string, field: string, n: number | string) => void (hash[field] = String(Number(hash[field] ?? 0) + Number(n)));
  addCommands({ hincrby: add, hincrbyfloat: add }, 'p', r.take());
  return hash;
}

describe('the recorder', () => {
  it('puts an observation in the first bucket it does not exceed, else +Inf', () => {
    expect([0, 0.1, 0.11, 1, 9.9, 10, 10.01, 1e9].map((v) => bucketIndex(H.buckets, v))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('aggregates per label set and writes non-cumulative buckets and the sum', () => {
    const r = new MetricsRecorder();
    for (const v of [0.05, 0.5, 0.5, 20]) r.observe(H, ['admit'], v);
    r.observe(H, ['reject'], 2);
    r.observe(H, ['reject'], Number.NaN); // not an observation
    expect(written(r)).toEqual({ 'admit|0.1': '1', 'admit|1': '2', 'admit|+Inf': '1', 'admit|sum': '21.05', 'reject|10': '1', 'reject|sum': '2' });
    expect(r.isEmpty()).toBe(true);
  });

  it('a failed flush is put back and merged with what came meanwhile', () => {
    const r = new MetricsRecorder();
    r.observe(H, ['admit'], 0.5);
    r.count(PROVIDER_ERRORS, ['create', '1301']);
    const taken = r.take();
    r.observe(H, ['admit'], 0.5);
    r.count(PROVIDER_ERRORS, ['create', '1301'], 2);
    r.restore(taken);
    const hash: Record<string, string> = {};
    const add = (key: string, field: string, n: number | string) => void (hash[`${key} ${field}`] = String(Number(hash[`${key} ${field}`] ?? 0) + Number(n)));
    addCommands({ hincrby: add, hincrbyfloat: add }, 'p', r.take());
    expect(hash).toEqual({ 'p:metrics:h admit|1': '2', 'p:metrics:h admit|sum': '1', 'p:metrics:provider_errors create|1301': '3' });
  });

  it('keeps label values inside their closed sets', () => {
    const m = new WorkerMetrics();
    m.decided(1000, 'admit', 1250);
    m.decided(1000, 'jabcdefghijklmnopqrstuvwxy|1', 1100);
    m.providerTask('kling-9|x', 'weird', 3);
    m.providerError('create', '1301');
    m.providerError('query', 'studio-a|trailer');
    const o = m.recorder.take();
    expect([...o.histograms.get(DECISION_LATENCY)!.keys()]).toEqual(['admit', 'other']);
    expect([...o.histograms.values()].flatMap((c) => [...c.keys()])).toContain('other|other');
    expect([...o.counters.get(PROVIDER_ERRORS)!.keys()]).toEqual(['create|1301', 'query|other']);
  });
});

describe('the exposition', () => {
  it('is cumulative over every bound, with _sum and _count = +Inf', () => {
    const text = histogramText(H, { 'admit|0.1': '1', 'admit|1': '2', 'admit|+Inf': '1', 'admit|sum': '21.05' });
    expect(text.split('\n')).toEqual([
      '# HELP vg_h_seconds a test histogram',
      '# TYPE vg_h_seconds histogram',
      'vg_h_seconds_bucket{outcome="admit",le="0.1"} 1',
      'vg_h_seconds_bucket{outcome="admit",le="1"} 3',
      'vg_h_seconds_bucket{outcome="admit",le="10"} 3',
      'vg_h_seconds_bucket{outcome="admit",le="+Inf"} 4',
      'vg_h_seconds_sum{outcome="admit"} 21.05',
      'vg_h_seconds_count{outcome="admit"} 4',
      '',
    ]);
  });

  it('counts a bound the family no longer has in the next one above, and leaves out what does not parse', () => {
    const text = histogramText(H, { 'admit|0.5': '2', 'admit|100': '1', 'admit|x': '5', 'admit|1': 'many', 'a|b|1': '7', 'admit|sum': 'NaN!' });
    expect(text).toContain('vg_h_seconds_bucket{outcome="admit",le="1"} 2\n');
    expect(text).toContain('vg_h_seconds_bucket{outcome="admit",le="+Inf"} 3\n');
    expect(text).toContain('vg_h_seconds_count{outcome="admit"} 3\n');
    expect(text).toContain('vg_h_seconds_sum{outcome="admit"} 0\n');
    expect(text).not.toContain('"b"');
  });

  it('writes money families from micro-units through the money codec', () => {
    const text = counterText(RECONCILE_SETTLED_AMOUNT, { charged: '1250000', refunded: '1', bad: '1.5' });
    expect(text).toContain('vidgate_reconcile_settled_amount_total{action="charged"} 1.25\n');
    expect(text).toContain('vidgate_reconcile_settled_amount_total{action="refunded"} 0.000001\n');
    expect(text).not.toContain('bad');
  });
});
