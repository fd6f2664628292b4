import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/index.js';
import { runCli } from '../helpers/cli.js';
import { connect, redisUrl, uniquePrefix } from '../helpers/redis.js';

const env = () => ({ REDIS_URL: redisUrl() });
const prefix = uniquePrefix('report');
const redis = connect();
let today = '';

beforeAll(async () => {
  // A month's work on Redis's own clock, as the workers would leave it.
  const ledger = new Ledger({ redis, prefix });
  await ledger.setBudget({ team: 'studio', limit: '100', period: 'monthly' });
  await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '50', period: 'monthly' });
  await ledger.setBudget({ team: 'studio', project: 'teaser', limit: '10', period: 'monthly' });
  const tag = (model: 'kling-3.0' | 'kling-o3', estimate: string, savings: { rule: string; amount: string }[] = []) => ({ model, estimate, savings });
  await ledger.reserve({ reservationId: 'j1', jobId: 'shot-1', team: 'studio', project: 'trailer', candidates: [{ cost: '8', history: tag('kling-3.0', '8', [{ rule: 'staging', amount: '2.5' }]) }] });
  await ledger.reserve({ reservationId: 'j2', jobId: 'shot-2', team: 'studio', project: 'teaser', candidates: [{ cost: '4', history: tag('kling-o3', '3.5') }] });
  await ledger.reserve({ reservationId: 'j3', jobId: 'shot-3', team: 'studio', project: 'teaser', candidates: [{ cost: '4', history: tag('kling-o3', '4') }] });
  await ledger.commit({ reservationId: 'j1', actual: '7.25' });
  await ledger.commit({ reservationId: 'j2', actual: '4' });
  await ledger.reject({ reservationId: 'j4', team: 'studio', project: null, model: 'kling-o3', code: 'no-project-budget' });
  const [seconds] = await redis.time();
  today = new Date(Number(seconds) * 1000).toISOString().slice(0, 10);
});
afterAll(async () => {
  await redis.quit();
});

const report = (...args: string[]) => runCli(['report', '--team', 'studio', '--prefix', prefix, '--from', today, '--to', today, ...args], { env: env() });

describe('vidgate report', () => {
  it('json: the figures of the history', async () => {
    const r = await report('--format', 'json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const json = JSON.parse(r.stdout);
    expect(json.totals).toMatchObject({ spent: '11.25', reserved: '16.00', released: '0.75', actual: '11.25', estimate: '11.50', variance: '-0.25', saved: '2.50' });
    expect(json.totals.jobs).toEqual({ admitted: 3, downgraded: 0, completed: 2, released: 0, expired: 0, rejected: 1 });
    expect(json.byProject.map((p: { project: string; spent: string }) => [p.project, p.spent])).toEqual([['trailer', '7.25'], ['teaser', '4.00']]);
    expect(json.topJobs.map((j: { jobId: string; cost: string }) => [j.jobId, j.cost])).toEqual([['shot-1', '7.25'], ['shot-2', '4.00']]);
    // The history's spend is the ledger's.
    const budget = JSON.parse((await runCli(['budget', 'show', '--team', 'studio', '--json', '--prefix', prefix], { env: env() })).stdout);
    expect([budget.spent, budget.reserved]).toEqual([json.totals.spent, '4.00']);
  });

  it('table, one project', async () => {
    const r = await report('--project', 'teaser');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Spend report: team studio, project teaser, ${today} to ${today}`);
    expect(r.stdout).toMatch(/teaser\s+kling-o3\s+4\.00\s+3\.50\s+4\.00\s+0\.50\s+1/);
    expect(r.stdout).not.toContain('trailer');
  });

  it('csv', async () => {
    const r = await report('--format', 'csv', '--top', '1');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\r\n');
    expect(lines[0]).toBe('section,project,model,item,measure,value');
    expect(lines).toContain('spend,trailer,kling-3.0,,spent,7.25');
    expect(lines).toContain('savings,,,staging,saved,2.50');
    expect(lines).toContain('top-job,trailer,kling-3.0,shot-1,cost,7.25');
    expect(lines.filter((l) => l.startsWith('top-job'))).toHaveLength(1);
  });

  it('html to a file: a self-contained page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidgate-report-'));
    try {
      const file = join(dir, 'report.html');
      const r = await report('--format', 'html', '--out', file);
      expect(r).toMatchObject({ code: 0, stdout: '' });
      const html = readFileSync(file, 'utf8');
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('Content-Security-Policy');
      expect(html).toContain('<td>shot-1</td>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--from', '2026-13-01'], 'report is not valid:\n  from: is not a day of the calendar\n'],
    [['--from', 'yesterday'], 'from: expected a UTC day as YYYY-MM-DD'],
    [['--from', '2026-11-02', '--to', '2026-11-01'], '"from" must not be after "to"'],
    [['--from', '2020-01-01', '--to', '2026-01-01'], 'at most 800 at once'],
    [['--format', 'pdf'], 'Allowed choices are table, json, csv, html'],
    [['--top', '0'], 'expected a whole number from 1'],
    [['--top', '500'], '--top: at most 100'],
    [['--project', 'Bad Name'], 'project: use 1-63 lowercase letters'],
  ])('bad input %j: exit 2, a clear message, nothing on stdout', async (args, message) => {
    const r = await runCli(['report', '--team', 'studio', '--prefix', prefix, ...args], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
  });
});
