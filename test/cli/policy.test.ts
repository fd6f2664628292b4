// `vidgate policy apply | show | history`: the built binary against the test Redis.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { connect, redisUrl, uniquePrefix } from '../helpers/redis.js';

const env = () => ({ REDIS_URL: redisUrl(), USER: 'alice' });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const dirWith = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-cli-policy-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
const yaml = (team: string, limit: string, maxJobCost = '5.00') =>
  `team: ${team}\nbudgets:\n  projects:\n    main: { limit: "${limit}", period: monthly }\nrules:\n  maxJobCost: "${maxJobCost}"\n`;

describe('vidgate policy', () => {
  it('apply, show and history: versions with who, when and from where; unchanged content is no new version', async () => {
    const prefix = uniquePrefix('clipol');
    const dir = dirWith({ 'a.yaml': yaml('aa', '10.00'), 'b.json': JSON.stringify({ team: 'bb', budgets: { projects: { main: { limit: '20.00', period: 'monthly' } } } }) });
    const first = await runCli(['policy', 'apply', '-f', dir, '--prefix', prefix], { env: env() });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain('aa: new -> version 1');
    expect(first.stdout).toContain('bb: new -> version 1');

    writeFileSync(join(dir, 'a.yaml'), yaml('aa', '15.00', '2.00'));
    const dry = await runCli(['policy', 'apply', '-f', join(dir, 'a.yaml'), '--dry-run', '--json', '--prefix', prefix], { env: env() });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual([
      { team: 'aa', from: 1, to: 2, changed: true, summary: ['budgets.projects.main: 10.00 monthly -> 15.00 monthly', 'rules.maxJobCost: "5.00" -> "2.00"'] },
    ]);
    const stillOne = await runCli(['policy', 'history', 'aa', '--json', '--prefix', prefix], { env: env() });
    expect(JSON.parse(stillOne.stdout)).toHaveLength(1);

    const second = await runCli(['policy', 'apply', '-f', dir, '--prefix', prefix], { env: env() });
    expect(second.stdout).toContain('aa: version 1 -> version 2');
    expect(second.stdout).toContain('  budgets.projects.main: 10.00 monthly -> 15.00 monthly');
    expect(second.stdout).toContain('bb: unchanged (version 1)');

    const show = await runCli(['policy', 'show', 'aa', '--prefix', prefix], { env: env() });
    expect(show.stdout).toBe(yaml('aa', '15.00', '2.00'));
    expect(show.stderr).toMatch(/^# team aa, version 2 \(2:[0-9a-f]{12}\), by alice@/);
    const old = await runCli(['policy', 'show', 'aa', '--version', '1', '--json', '--prefix', prefix], { env: env() });
    expect(JSON.parse(old.stdout)).toMatchObject({ team: 'aa', version: 1, source: yaml('aa', '10.00'), format: 'yaml', origin: join(dir, 'a.yaml') });
    const history = await runCli(['policy', 'history', 'aa', '--json', '--prefix', prefix], { env: env() });
    const rows = JSON.parse(history.stdout) as { version: number; by: string; at: string }[];
    expect(rows.map((r) => r.version)).toEqual([2, 1]);
    expect(rows[0]!.by).toMatch(/^alice@/);
    expect(Date.parse(rows[0]!.at)).toBeGreaterThanOrEqual(Date.parse(rows[1]!.at));
    const text = await runCli(['policy', 'history', 'aa', '--limit', '1', '--prefix', prefix], { env: env() });
    expect(text.stdout.trim().split('\n')).toHaveLength(1);
    expect(text.stdout).toMatch(/^2\t/);

    const budget = await runCli(['budget', 'show', '--team', 'aa', '--project', 'main', '--json', '--prefix', prefix], { env: env() });
    expect(JSON.parse(budget.stdout)).toMatchObject({ limit: '15.00' });
  });

  it('one bad file among several: exit 2 naming file, line and field, nothing written', async () => {
    const prefix = uniquePrefix('clipol');
    const dir = dirWith({ 'a.yaml': yaml('aa', '10.00'), 'b.yaml': yaml('bb', '10.00', 'lots') });
    const r = await runCli(['policy', 'apply', '-f', dir, '--prefix', prefix], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('b.yaml is not valid:');
    expect(r.stderr).toContain('line 6, rules.maxJobCost:');
    const redis = connect();
    try {
      expect(await redis.keys(`${prefix}:*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
    const show = await runCli(['policy', 'show', 'aa', '--prefix', prefix], { env: env() });
    expect(show).toMatchObject({ code: 2, stderr: 'vidgate: team aa has no policy\n' });
  });
});
