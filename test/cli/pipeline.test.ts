import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKling, type FakeKling } from '../../src/providers/fake-kling/server.js';
import { BIN, runCli } from '../helpers/cli.js';
import { startNode } from '../helpers/processes.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'vidgate-cli-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const job = (id: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({ id, team: 'studio-a', project: 'trailer', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a lighthouse', ...over });

describe('vidgate worker, enqueue and jobs show', () => {
  const prefix = uniquePrefix('cli');
  let kling: FakeKling;
  let worker: ReturnType<typeof startNode>;
  beforeAll(async () => {
    kling = await startFakeKling({ apiKey: 'cli', latencyMs: 20 });
    worker = startNode(BIN, ['worker', '--policies', 'policies', '--prefix', prefix, '--poll-ms', '20'], {
      REDIS_URL: redisUrl(),
      KLING_API_KEY: 'cli',
      KLING_BASE_URL: kling.url,
      KLING_UNIT_PRICE: '1',
      VIDGATE_LOG_LEVEL: 'error',
    });
    expect(await worker.firstLine).toMatch(/^vidgate worker ready: router and generator on redis:\/\/127\.0\.0\.1:\d+, teams agency-c, ml-research, studio-a$/);
  });
  afterAll(async () => {
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    await kling.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = () => ({ REDIS_URL: redisUrl() });

  it('enqueues a file and prints one JSON line per job with its outcome, state and actual cost', async () => {
    const jobs = file('ok.jsonl', [job('cli-1'), '', job('cli-2', { stage: 'draft', resolution: '1080p' }), job('cli-3', { team: 'nobody' })].join('\n'));
    const r = await runCli(['enqueue', jobs, '--wait', '--json', '--prefix', prefix], { env: env() });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).sort((a, b) => a.id.localeCompare(b.id));
    expect(lines).toEqual([
      { id: 'cli-1', team: 'studio-a', project: 'trailer', outcome: 'admit', chosen: 'kling-3.0 text-to-video 720p silent 5s', cost: '0.375', state: 'completed', actualCost: '0.375', reason: null },
      { id: 'cli-2', team: 'studio-a', project: 'trailer', outcome: 'admit', chosen: 'kling-3.0 text-to-video 720p silent 5s', cost: '0.375', state: 'completed', actualCost: '0.375', reason: null },
      { id: 'cli-3', team: 'nobody', project: 'trailer', outcome: 'reject', chosen: null, cost: null, state: 'rejected', actualCost: null, reason: 'team nobody has no policy' },
    ]);
    const summary = await runCli(['enqueue', jobs, '--prefix', prefix], { env: env() });
    expect(summary.stdout).toMatch(/admitted\s+2\n.*\nrejected\s+1/s);
  });

  it('shows a job: decision, rules, scopes and result', async () => {
    // Its own jobs, run to the end here: this test does not rely on the one above having run.
    const jobs = file('show.jsonl', [job('show-1'), job('show-2', { stage: 'draft', resolution: '1080p' })].join('\n'));
    expect(await runCli(['enqueue', jobs, '--wait', '--prefix', prefix], { env: env() })).toMatchObject({ code: 0 });
    const r = await runCli(['jobs', 'show', '--team', 'studio-a', 'show-2', '--prefix', prefix], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('decision: admit kling-3.0 text-to-video 720p silent 5s at 0.375 (requested 0.50, reserve 0.375)');
    expect(r.stdout).toContain('rule staging: draft job staged from 1080p to 720p');
    expect(r.stdout).toMatch(/result: completed on kling-3\.0\n\s+video http:\/\/127\.0\.0\.1:\d+\/videos\/\d+\.mp4/);
    const json = JSON.parse((await runCli(['jobs', 'show', '--team', 'studio-a', 'show-1', '--json', '--prefix', prefix], { env: env() })).stdout);
    expect(json).toMatchObject({ id: 'show-1', intake: 'completed', generate: 'completed', result: { state: 'completed' } });
    const missing = await runCli(['jobs', 'show', '--team', 'studio-a', 'nope', '--prefix', prefix], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('team studio-a has no job nope');
    // Ids that name the queues' own keys are looked up as this team's jobs, not as those keys.
    for (const id of ['events', 'meta', 'wait']) {
      const r = await runCli(['jobs', 'show', '--team', 'studio-a', id, '--prefix', prefix], { env: env() });
      expect([id, r.code, r.stderr.trim()]).toEqual([id, 1, `vidgate: team studio-a has no job ${id} (never enqueued, or finished longer ago than it is kept: a day once completed, a week once failed)`]);
    }
    // Another team's job is not found under this team.
    expect((await runCli(['jobs', 'show', '--team', 'other', 'show-1', '--prefix', prefix], { env: env() })).code).toBe(1);
    const noTeam = await runCli(['jobs', 'show', 'show-1', '--prefix', prefix], { env: env() });
    expect([noTeam.code, noTeam.stderr]).toEqual([2, expect.stringContaining("--team <team>")]);
  });

  it.each([
    ['not JSON', '{"id":', 'line 1: not JSON'],
    ['a bad field', job('b1', { durationSeconds: 'ten' }), 'line 1, durationSeconds: Invalid input: expected number, received string'],
    ['a repeated id', `${job('d1')}\n${job('d1')}`, 'line 2: id d1 is already used by team studio-a on line 1'],
    ['nothing', '\n\n', 'holds no jobs'],
  ])('refuses a jobs file with %s: exit 2, nothing enqueued', async (_, text, message) => {
    const r = await runCli(['enqueue', file('bad.jsonl', text), '--prefix', prefix], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('vidgate worker refuses to start without what it needs', () => {
  it.each([
    [['--policies', 'policies'], {}, 'no Kling credentials: set KLING_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY'],
    [['--policies', '/nonexistent/dir'], { KLING_API_KEY: 'k' }, 'cannot read policy directory /nonexistent/dir'],
    [['--router-only', '--generator-only'], {}, '--router-only and --generator-only exclude each other'],
    [['--callback-port', '9999'], { KLING_API_KEY: 'k' }, '--callback-port and --callback-url (or VIDGATE_CALLBACK_URL) go together'],
  ])('%j', async (args, extraEnv, message) => {
    const r = await runCli(['worker', ...args, '--prefix', uniquePrefix('w')], { env: { REDIS_URL: redisUrl(), KLING_API_KEY: '', KLING_ACCESS_KEY: '', ...extraEnv } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('says what to start when Redis is not there', async () => {
    const r = await runCli(['worker', '--redis', 'redis://127.0.0.1:1'], { env: { KLING_API_KEY: 'k' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
  });
});
