// Clients that are not ours, against the real `vidgate serve` process and the in-process service:
// Python with only its standard library (a key from the CLI, Idempotency-Key, wait=decision,
// events, result, budget), and curl (a submit and a read).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startNode } from '../helpers/processes.js';
import { redisUrl } from '../helpers/redis.js';
import { ADMIN_KEY, startService, type TestService } from '../helpers/service.js';
import { job, SERVICE_POLICIES } from './policies.js';

const run = promisify(execFile);

let s: TestService;
beforeAll(async () => {
  s = await startService({ policies: SERVICE_POLICIES });
});
afterAll(async () => s?.close());

it('a Python client (standard library only) goes through the whole flow', async () => {
  const env = { ...process.env, VIDGATE_URL: s.url, VIDGATE_CLI: `${process.execPath} ${BIN}`, REDIS_URL: redisUrl(), VIDGATE_PREFIX: s.pipeline.prefix };
  const { stdout } = await run('python3', [new URL('./client.py', import.meta.url).pathname], { env, timeout: 120_000 });
  expect(stdout).toMatch(/^python client: ok \(.*completed\)$/m);
});

it('curl: a submit and a read against `vidgate serve`', async () => {
  const served = startNode(BIN, ['serve', '--port', '0', '--redis', redisUrl(), '--prefix', s.pipeline.prefix], { VIDGATE_ADMIN_KEY: ADMIN_KEY, VIDGATE_LOG_LEVEL: 'silent' });
  try {
    const line = await served.firstLine;
    const url = /listening on (http:\/\/\S+)/.exec(line)?.[1];
    expect(url, line).toBeDefined();
    const curl = (...args: string[]) => run('curl', ['-sS', '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${s.key.submitA}`, ...args], { timeout: 60_000 });
    const post = await curl('-H', 'Content-Type: application/json', '--data', JSON.stringify(job('curl-1')), `${url}/v1/jobs?wait=decision`);
    const [postBody, postStatus] = post.stdout.split('\n');
    expect(postStatus).toBe('202');
    expect(JSON.parse(postBody!)).toMatchObject({ id: 'curl-1', decision: { outcome: 'admit' } });
    const get = await curl(`${url}/v1/jobs/curl-1`);
    const [getBody, getStatus] = get.stdout.split('\n');
    expect(getStatus).toBe('200');
    expect(JSON.parse(getBody!)).toMatchObject({ id: 'curl-1', team: 'studio-a', decision: { outcome: 'admit' } });
    const health = await run('curl', ['-sS', `${url}/readyz`]);
    expect(JSON.parse(health.stdout)).toEqual({ status: 'ok' });
  } finally {
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  }
});

it('curl: `vidgate serve --trust-proxy` believes only the proxies it names (a forged X-Forwarded-Proto does not make the cookie Secure)', async () => {
  const served = startNode(BIN, ['serve', '--port', '0', '--redis', redisUrl(), '--prefix', s.pipeline.prefix, '--trust-proxy', '10.9.9.9'], { VIDGATE_ADMIN_KEY: ADMIN_KEY, VIDGATE_LOG_LEVEL: 'silent' });
  try {
    const url = /listening on (http:\/\/\S+)/.exec(await served.firstLine)?.[1];
    expect(url).toBeDefined();
    const login = await run('curl', ['-sS', '-D', '-', '-o', '/dev/null', '-H', 'X-Forwarded-Proto: https', '--data-urlencode', `key=${s.key.submitA}`, `${url}/dashboard/login`]);
    const setCookie = login.stdout.split('\r\n').find((h) => /^set-cookie:/i.test(h));
    expect(setCookie).toMatch(/HttpOnly/i); // signed in
    expect(setCookie).not.toMatch(/Secure/i);
  } finally {
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  }
});
