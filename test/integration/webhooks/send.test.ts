// The webhook sender against real HTTP servers on this machine: every private class refused
// with the development setting off (literal addresses and names resolving to them), the checked
// address is the one connected to, redirects are answers, not hops, and a receiver can neither
// hold an attempt open nor make it read without end.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, TargetRefused, type Resolver } from '../../../src/webhooks/send.js';
import { startReceiver } from '../../helpers/receiver.js';

const opts = { allowPrivate: false, timeoutMs: 2000, maxResponseBytes: 1024 };
const dev = { ...opts, allowPrivate: true };
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => receiver.close());

const refusal = async (url: string, o: Parameters<typeof postJson>[3] = opts) => {
  const err = await postJson(url, {}, '{}', o).then(() => null, (e: Error) => e);
  expect(err).toBeInstanceOf(TargetRefused);
  return err!.message;
};

describe('refused targets (development setting off)', () => {
  it.each([
    ['http://127.0.0.1:PORT/hook', 'loopback'],
    ['http://[::1]:PORT/hook', 'loopback'],
    ['http://[::ffff:127.0.0.1]:PORT/hook', 'loopback'],
    ['http://0.0.0.0:PORT/hook', 'unspecified'],
    ['http://[::]:PORT/hook', 'unspecified'],
    ['http://10.0.0.7/hook', 'private'],
    ['http://192.168.0.1/hook', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://100.64.0.1/hook', 'carrierGradeNat'],
    ['http://[fd00::1]/hook', 'uniqueLocal'],
    ['http://[fe80::1]/hook', 'linkLocal'],
    ['http://2130706433:PORT/hook', 'loopback'],
  ])('%s is refused as %s, and nothing is sent', async (url, range) => {
    const before = receiver.received.length;
    expect(await refusal(url.replace('PORT', String(receiver.port)), opts)).toMatch(new RegExp(`in a ${range} range; webhooks go only to public addresses`));
    expect(receiver.received.length).toBe(before);
  });

  it('refuses a name that resolves to loopback (localhost, through the system resolver)', async () => {
    expect(await refusal(`http://localhost:${receiver.port}/hook`)).toMatch(/address (127\.0\.0\.1|::1) is in a loopback range/);
  });

  it('refuses a name whose resolver answers a private address, or a public and a private one', async () => {
    const resolve: Resolver = async (host) => (host === 'internal.test' ? [{ address: '10.1.2.3', family: 4 }] : [{ address: '93.184.216.34', family: 4 }, { address: '169.254.169.254', family: 4 }]);
    expect(await refusal('https://internal.test/hook', { ...opts, resolve })).toMatch(/address 10\.1\.2\.3 is in a private range/);
    expect(await refusal('https://mixed.test/hook', { ...opts, resolve })).toMatch(/address 169\.254\.169\.254 is in a linkLocal range/);
  });

  it('refuses other schemes and credentials at delivery too', async () => {
    expect(await refusal('ftp://example.com/x', dev)).toMatch(/scheme ftp is not allowed/);
    expect(await refusal(`http://u:p@127.0.0.1:${receiver.port}/x`, dev)).toMatch(/credentials/);
  });
});

describe('the checked address is the one connected to', () => {
  it('resolves a name once and connects to that address, sending the name as Host', async () => {
    let lookups = 0;
    const resolve: Resolver = async () => {
      lookups += 1;
      // A rebinding resolver: the first answer is the one checked; a second would say otherwise.
      return lookups === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.9.9', family: 4 }];
    };
    const before = receiver.received.length;
    const res = await postJson(`http://hooks.test:${receiver.port}/in?x=1`, { 'webhook-id': 'msg_1' }, '{"a":1}', { ...dev, resolve });
    expect(res).toMatchObject({ status: 204, address: '127.0.0.1', truncated: false });
    expect(lookups).toBe(1);
    expect(receiver.received.length).toBe(before + 1);
    expect(receiver.received.at(-1)).toMatchObject({ body: '{"a":1}', headers: { host: `hooks.test:${receiver.port}`, 'webhook-id': 'msg_1', 'content-type': 'application/json' } });
  });
});

describe('a receiver cannot steer or hold an attempt', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/redirect') return res.writeHead(302, { location: `${receiver.url}/elsewhere` }).end();
      if (req.url === '/huge') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        return pump();
      }
      if (req.url === '/silent') return; // never answers
      if (req.url === '/drip') {
        res.writeHead(200);
        const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('.')), 50);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('does not follow a redirect: the 302 is the answer and its target gets nothing', async () => {
    const before = receiver.received.length;
    const res = await postJson(`${url}/redirect`, {}, '{}', dev);
    expect(res.status).toBe(302);
    expect(receiver.received.length).toBe(before);
  });

  it('reads at most maxResponseBytes of an endless body', async () => {
    const res = await postJson(`${url}/huge`, {}, '{}', dev);
    expect(res).toMatchObject({ status: 200, truncated: true });
    expect(Buffer.byteLength(res.body)).toBe(1024);
  });

  it('gives up on a receiver that never answers, or answers without end, at the time bound', async () => {
    await expect(postJson(`${url}/silent`, {}, '{}', { ...dev, timeoutMs: 300 })).rejects.toThrow('no complete answer within 300 ms');
    await expect(postJson(`${url}/drip`, {}, '{}', { ...dev, timeoutMs: 300, maxResponseBytes: 1_000_000 })).rejects.toThrow('no complete answer within 300 ms');
  });
});
