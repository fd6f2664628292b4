// Bad input is refused with what was wrong, where, and what is allowed (exit 2), and writes nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { connect, redisUrl, uniquePrefix } from '../helpers/redis.js';

const env = () => ({ REDIS_URL: redisUrl() });
const dir = mkdtempSync(join(tmpdir(), 'vidgate-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'p.yaml'), 'team: portless\nbudgets:\n  projects:\n    main: { limit: "10.00", period: monthly }\n');
const worker = (prefix: string, extra: string[], more: Record<string, string> = {}) =>
  runCli(['worker', '--policies', dir, '--prefix', prefix, ...extra], { env: { ...env(), KLING_API_KEY: 'k', ...more } });
const noBudget = async (prefix: string) => {
  const r = await runCli(['budget', 'show', '--team', 'portless', '--project', 'main', '--prefix', prefix], { env: env() });
  expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('no budget is set')]);
};

describe('flags', () => {
  it('--count is bounded, and says the bound', async () => {
    const r = await runCli(['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--duration', '5', '--count', '99999999999999999999999']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toContain("option '--count <n>' argument '99999999999999999999999' is invalid. expected a whole number from 1 to 1000000000.");
  });

  it('serve --trust-proxy takes addresses or CIDR ranges only, and says so', async () => {
    for (const bad of ['everyone', '0.0.0.0/0', '::/0', '0x7f000001', '10']) {
      const r = await runCli(['serve', '--port', '0', '--trust-proxy', `10.0.0.0/8,${bad}`], { env: env() });
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain(`--trust-proxy: "${bad}" is not an IP address or CIDR range`);
    }
  });

  it('an alert finer than a millionth is refused, not stored as 0', async () => {
    const prefix = uniquePrefix('cli');
    const r = await runCli(['budget', 'set', '--team', 'portless', '--project', 'main', '--limit', '10', '--period', 'monthly', '--alerts', '0.0000001', '--prefix', prefix], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('alerts[0]: must have at most 6 decimals');
    await noBudget(prefix);
  });

  it('a Redis URL naming a database the server does not have is refused before anything is written', async () => {
    const prefix = uniquePrefix('cli');
    const url = new URL(redisUrl());
    url.pathname = '/99';
    const r = await runCli(['budget', 'set', '--team', 'portless', '--limit', '10', '--period', 'monthly', '--redis', url.toString(), '--prefix', prefix]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no database 99');
    url.pathname = '/0';
    const db0 = connect(url.toString());
    expect(await db0.keys(`${prefix}*`)).toEqual([]);
    db0.disconnect();
  });
});

describe('worker start', () => {
  it('refuses a port out of range before it connects', async () => {
    const r = await worker(uniquePrefix('cli'), ['--callback-port', '99999', '--callback-url', 'http://x/cb']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--callback-port <n>' argument '99999' is invalid. expected a port from 1 to 65535.");
  });

  it('a taken callback port fails the start with one line, and no budget is written', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as { port: number }).port;
    const prefix = uniquePrefix('cli');
    try {
      const r = await worker(prefix, ['--callback-port', String(port), '--callback-url', 'http://x/cb']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`vidgate: --callback-port ${port}: cannot listen there (EADDRINUSE: another process has it); pick a free port`);
      await noBudget(prefix);
    } finally {
      taken.close();
    }
  });

  it('a callback secret that is not base64 is refused at start, without printing it', async () => {
    const prefix = uniquePrefix('cli');
    const r = await worker(prefix, [], { KLING_CALLBACK_SECRET: 'whsec_not*base64!' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('KLING_CALLBACK_SECRET must be whsec_ followed by base64');
    expect(r.stderr).not.toContain('not*base64');
    await noBudget(prefix);
  });
});
