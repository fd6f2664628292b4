// The workers' metrics through real Redis: two processes' flushers add into the same hashes and
// the reader's totals are their sum; a reconciliation run's findings and settlements land beside
// them, its amounts as micro-units written back in currency units.
import { afterAll, describe, expect, it } from 'vitest';
import { deleteMatching } from '../../../src/redis-connection.js';
import { MetricsFlusher } from '../../../src/metrics/flusher.js';
import { readStoredMetrics, storedMetricsText } from '../../../src/metrics/reader.js';
import { WorkerMetrics } from '../../../src/metrics/worker-metrics.js';
import { recordReconciliation } from '../../../src/reconcile/metrics.js';
import type { ReconcileReport } from '../../../src/reconcile/reconciler.js';
import { startPipeline } from '../../helpers/pipeline.js';
import { bullPrefix, connect, uniquePrefix } from '../../helpers/redis.js';

const redis = connect();
const prefix = bullPrefix(uniquePrefix('metrics'));
afterAll(async () => {
  await deleteMatching(redis, `${prefix}:metrics:*`);
  redis.disconnect();
});

const lines = async () => (await storedMetricsText(await readStoredMetrics(redis, prefix))).split('\n');

describe('metrics through Redis', () => {
  it('flushes of two processes add up; a flush with nothing new writes nothing', async () => {
    const a = new WorkerMetrics();
    const b = new WorkerMetrics();
    const fa = new MetricsFlusher(redis, prefix, a.recorder);
    const fb = new MetricsFlusher(redis, prefix, b.recorder);
    a.decided(0, 'admit', 40); // 0.04 s
    a.decided(0, 'admit', 3000);
    b.decided(0, 'admit', 7);
    b.providerError('create', '1302');
    a.providerError('create', '1302');
    a.providerTask('kling-o3', 'succeeded', 42);
    await Promise.all([fa.flush(), fb.flush()]);
    await fa.close(); // nothing left: no write
    a.decided(0, 'reject', 100);
    await fa.flush();
    const text = await lines();
    expect(text).toContain('vidgate_decision_latency_seconds_bucket{outcome="admit",le="0.01"} 1');
    expect(text).toContain('vidgate_decision_latency_seconds_bucket{outcome="admit",le="0.05"} 2');
    expect(text).toContain('vidgate_decision_latency_seconds_bucket{outcome="admit",le="2.5"} 2');
    expect(text).toContain('vidgate_decision_latency_seconds_bucket{outcome="admit",le="5"} 3');
    expect(text).toContain('vidgate_decision_latency_seconds_count{outcome="admit"} 3');
    expect(Number(text.find((l) => l.startsWith('vidgate_decision_latency_seconds_sum{outcome="admit"}'))!.split(' ')[1])).toBeCloseTo(3.047, 9);
    expect(text).toContain('vidgate_decision_latency_seconds_count{outcome="reject"} 1');
    expect(text).toContain('vidgate_provider_task_seconds_bucket{model="kling-o3",status="succeeded",le="30"} 0');
    expect(text).toContain('vidgate_provider_task_seconds_bucket{model="kling-o3",status="succeeded",le="60"} 1');
    expect(text).toContain('vidgate_provider_errors_total{op="create",code="1302"} 2');
  });

  it("records a reconciliation run: differences by kind, the last run's gauge, settlements and their money", async () => {
    const report = (kinds: string[], settled: ReconcileReport['settled']) =>
      ({ tasksRead: 9, jobs: 3, findings: kinds.map((kind, i) => ({ kind, jobId: `job-${i}` })), settled }) as unknown as ReconcileReport;
    await recordReconciliation(redis, prefix, report(['amount-differs', 'amount-differs', 'held-task-ended'], []), false);
    await recordReconciliation(redis, prefix, report(['amount-differs', 'held-task-ended'], [
      { jobId: 'job-0', action: 'charged', amount: '0.125' },
      { jobId: 'job-1', action: 'committed', amount: '1.50' },
      { jobId: 'job-2', action: 'none', amount: '0' },
    ]), true);
    const text = await lines();
    expect(text).toContain('vidgate_reconcile_runs_total{mode="apply"} 1');
    expect(text).toContain('vidgate_reconcile_runs_total{mode="report"} 1');
    expect(text).toContain('vidgate_reconcile_differences_total{kind="amount-differs"} 3');
    expect(text).toContain('vidgate_reconcile_differences_total{kind="held-task-ended"} 2');
    expect(text).toContain('vidgate_reconcile_last_differences{kind="amount-differs"} 1');
    expect(text).toContain('vidgate_reconcile_last_differences{kind="unpriced"} 0');
    expect(text).toContain('vidgate_reconcile_settled_total{action="charged"} 1');
    expect(text).toContain('vidgate_reconcile_settled_amount_total{action="charged"} 0.125');
    expect(text).toContain('vidgate_reconcile_settled_amount_total{action="committed"} 1.50');
    expect(text.some((l) => l.includes('job-'))).toBe(false);
    expect(text.some((l) => l.includes('action="none"'))).toBe(false);
  });

  it('a worker that closes writes what it observed since its last flush', async () => {
    const p = await startPipeline({ policies: { 'close.yaml': 'team: close\nbudgets:\n  projects:\n    main: { limit: "50.00", period: monthly }\n' }, workers: {} });
    try {
      const [h] = await p.client.enqueueMany([{ id: 'c-1', team: 'close', project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a fox' }]);
      expect((await h!.result()).state).toBe('completed');
      await p.workers.close();
      const text = storedMetricsText(await readStoredMetrics(redis, bullPrefix(p.prefix))).split('\n');
      expect(text).toContain('vidgate_decision_latency_seconds_count{outcome="admit"} 1');
      expect(text).toContain('vidgate_provider_task_seconds_count{model="kling-3.0",status="succeeded"} 1');
    } finally {
      await p.close();
      await deleteMatching(redis, `${bullPrefix(p.prefix)}:metrics:*`);
    }
  });
});
