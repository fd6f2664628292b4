import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../src/job.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { startFakeKling, type FakeKling } from '../../src/providers/fake-kling/server.js';
import { KlingAdapter } from '../../src/providers/kling/adapter.js';
import { externalTaskId } from '../../src/queue/names.js';
import { readStoredMetrics, storedMetricsText } from '../../src/metrics/reader.js';
import { deleteMatching } from '../../src/redis-connection.js';
import { runCli } from '../helpers/cli.js';
import { bullPrefix, connect, redisUrl, uniquePrefix } from '../helpers/redis.js';

let kling: FakeKling;
beforeAll(async () => {
  kling = await startFakeKling({ apiKey: 'k', latencyMs: 0 });
});
afterAll(() => kling.close());
const env = () => ({ REDIS_URL: redisUrl(), KLING_API_KEY: 'k', KLING_BASE_URL: kling.url, KLING_UNIT_PRICE: '1' });

describe('vidgate reconcile', () => {
  it('reports a bill outside the ledger, settles it with --apply, and then finds nothing', async () => {
    const prefix = uniquePrefix('rcli');
    const redis = connect();
    const ledger = new Ledger({ redis, prefix });
    await ledger.setBudget({ team: 'cli', project: 'p', limit: '10', period: 'monthly' });
    await ledger.reserve({ reservationId: 'cli-leak', team: 'cli', project: 'p', candidates: [{ cost: '0.375' }] });
    const job = Job.parse({ team: 'cli', project: 'p', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'x' });
    await new KlingAdapter({ baseUrl: kling.url, credentials: { apiKey: 'k' } }).submit(job, externalTaskId('cli-leak', 'kling-3.0'));
    await ledger.release({ reservationId: 'cli-leak' });

    const report = await runCli(['reconcile', '--prefix', prefix], { env: env() });
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('cli-leak: billed by the provider, not charged in the ledger (billed 0.375, charged 0.00)');
    expect(report.stdout).toContain('run again with --apply');
    const applied = JSON.parse((await runCli(['reconcile', '--apply', '--json', '--prefix', prefix], { env: env() })).stdout);
    expect(applied.settled).toEqual([{ jobId: 'cli-leak', action: 'charged', amount: '0.375' }]);
    expect(await ledger.getBudget({ team: 'cli', project: 'p' })).toMatchObject({ spent: '0.375' });
    const again = await runCli(['reconcile', '--prefix', prefix], { env: env() });
    expect(again.stdout).toMatch(/of 1 vidgate jobs: 0 differences/);
    // Each run is in GET /metrics: two found the difference, the last found none, one settled it.
    const metrics = storedMetricsText(await readStoredMetrics(redis, bullPrefix(prefix))).split('\n');
    expect(metrics).toEqual(
      expect.arrayContaining([
        'vidgate_reconcile_runs_total{mode="apply"} 1',
        'vidgate_reconcile_runs_total{mode="report"} 2',
        'vidgate_reconcile_differences_total{kind="billed-outside-ledger"} 2',
        'vidgate_reconcile_last_differences{kind="billed-outside-ledger"} 0',
        'vidgate_reconcile_settled_total{action="charged"} 1',
        'vidgate_reconcile_settled_amount_total{action="charged"} 0.375',
      ]),
    );
    await deleteMatching(redis, `${bullPrefix(prefix)}:metrics:*`);
    await redis.quit();
  });

  it.each([
    [['--since', 'yesterday'], {}, "option '--since <date>' argument 'yesterday' is invalid. expected a date such as 2026-11-01"],
    [[], { KLING_API_KEY: '' }, 'no Kling credentials: set KLING_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY'],
  ])('bad input %j: exit 2, saying what is wrong', async (args, over, message) => {
    const r = await runCli(['reconcile', ...args, '--prefix', uniquePrefix('rcli')], { env: { ...env(), ...over } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });
});
