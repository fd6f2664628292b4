import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { connect, redisUrl, uniquePrefix } from '../helpers/redis.js';

const env = () => ({ REDIS_URL: redisUrl() });

describe('vidgate budget', () => {
  it('sets and shows a budget, readable and as JSON', async () => {
    const prefix = uniquePrefix('cli');
    const set = await runCli(['budget', 'set', '--team', 'studio', '--project', 'trailer', '--limit', '500', '--period', 'monthly', '--alerts', '0.5,0.8', '--prefix', prefix], { env: env() });
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain('set: team studio, project trailer, 500 monthly');
    const again = await runCli(['budget', 'set', '--team', 'studio', '--project', 'trailer', '--limit', '500.00', '--period', 'monthly', '--alerts', '0.8,0.5', '--prefix', prefix], { env: env() });
    expect(again.stdout).toContain('unchanged');
    const json = await runCli(['budget', 'show', '--team', 'studio', '--project', 'trailer', '--json', '--prefix', prefix], { env: env() });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ team: 'studio', project: 'trailer', limit: '500.00', period: 'monthly', alerts: [0.5, 0.8], spent: '0.00', available: '500.00' });
    const text = await runCli(['budget', 'show', '--team', 'studio', '--project', 'trailer', '--prefix', prefix], { env: env() });
    expect(text.stdout).toMatch(/available\s+500\.00\s+\(0\.0% used\)/);
  });

  it.each([
    [['--limit', 'abc', '--period', 'monthly'], 'limit: expected a non-negative amount'],
    [['--limit', '5', '--period', 'yearly'], 'Allowed choices are none, daily, weekly, monthly'],
    [['--limit', '5', '--period', 'daily', '--alerts', '0.5,2'], 'alerts[1]: must be at most 1'],
    [['--limit', '5', '--period', 'daily', '--project', 'Bad Name'], 'project: use 1-63 lowercase letters'],
    [['--period', 'daily'], "required option '--limit <amount>' not specified"],
  ])('bad input %j: exit 2 and nothing written', async (args, message) => {
    const prefix = uniquePrefix('cli');
    const r = await runCli(['budget', 'set', '--team', 'studio', ...args, '--prefix', prefix], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    const redis = connect();
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    redis.disconnect();
  });

  it('says when no budget is set, and when Redis is not there', async () => {
    const none = await runCli(['budget', 'show', '--team', 'nobody', '--prefix', uniquePrefix('cli')], { env: env() });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no budget is set for team nobody');
    const down = await runCli(['budget', 'show', '--team', 'studio', '--redis', 'redis://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
    expect(down.stderr).toContain('ECONNREFUSED');
  });
});
