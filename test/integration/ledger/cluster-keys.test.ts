// Redis Cluster conditions: every key a script touches is passed in KEYS, and all of one team's
// keys hash to one slot. Watched on a private server through MONITOR, which shows each command a
// script runs; COMMAND GETKEYS says which of its arguments are keys.
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLedger } from '../../../src/ledger/index.js';
import { startRedisServer, type OwnedRedis } from '../../../scripts/redis-server.js';

let server: OwnedRedis;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

interface Seen {
  args: string[];
  source: string;
}

it('every script passes all its keys in KEYS, and one team’s keys share one slot', async () => {
  const client = new Redis(server.url);
  const monitor = await client.monitor();
  const seen: Seen[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));

  let now = Date.UTC(2026, 10, 15);
  const ledger = createLedger({ redis: server.url, prefix: 'vg', clock: () => now });
  await ledger.setBudget({ team: 'studio', limit: '100', period: 'monthly', alerts: [0.01] });
  await ledger.setBudget({ team: 'studio', project: 'trailer', limit: '10', period: 'daily', alerts: [0.5] });
  await ledger.reserve({ reservationId: 'a', team: 'studio', project: 'trailer', candidates: [{ cost: '50' }, { cost: '6' }] });
  await ledger.reserve({ reservationId: 'a', team: 'studio', project: 'trailer', candidates: [{ cost: '6' }] });
  await ledger.reserve({ reservationId: 'r', team: 'studio', project: 'trailer', candidates: [{ cost: '50' }] });
  await ledger.reserve({ reservationId: 'nob', team: 'studio', project: 'none', candidates: [{ cost: '1' }] });
  await ledger.getBudget({ team: 'studio', project: 'trailer' });
  await ledger.extend({ reservationId: 'a', leaseMs: 10 });
  await ledger.topUp({ reservationId: 'a', amount: '7' });
  await ledger.commit({ reservationId: 'a', actual: '8' });
  await ledger.reserve({ reservationId: 'b', team: 'studio', project: 'trailer', candidates: [{ cost: '1' }] });
  await ledger.release({ reservationId: 'b' });
  await ledger.reserve({ reservationId: 'c', team: 'studio', project: 'trailer', candidates: [{ cost: '1' }], leaseMs: 5 });
  now += 10;
  expect(await ledger.expireDue()).toHaveLength(1);
  await ledger.close();
  // A marker command, so we know MONITOR has delivered everything before it.
  const marker = new Redis(server.url);
  await marker.echo('end-of-test');
  marker.disconnect();
  await expect.poll(() => seen.some((s) => s.args[0]?.toLowerCase() === 'echo'), { timeout: 60_000, interval: 20 }).toBe(true);
  monitor.disconnect();

  const probe = new Redis(server.url);
  let declared: Set<string> | null = null;
  let scriptCalls = 0;
  const touched = new Set<string>();
  for (const { args, source } of seen) {
    const cmd = args[0]!.toLowerCase();
    if (cmd === 'evalsha' || cmd === 'eval') {
      const n = Number(args[2]);
      declared = new Set(args.slice(3, 3 + n));
      scriptCalls++;
      continue;
    }
    if (source !== 'lua') continue;
    const keys = (await probe.call('COMMAND', 'GETKEYS', ...args).catch(() => [])) as string[];
    for (const key of keys) {
      expect(declared, `${args.join(' ')} ran outside a script`).not.toBeNull();
      expect([...declared!], `${args.join(' ')} touched ${key}, not in KEYS`).toContain(key);
      touched.add(key);
    }
  }
  expect(scriptCalls).toBeGreaterThanOrEqual(13);
  expect(touched.size).toBeGreaterThan(5);
  const slots = new Set([...touched].map((k) => calculateSlot(k)));
  expect([...touched].every((k) => k.startsWith('vg:{studio}:'))).toBe(true);
  expect(slots.size).toBe(1);
  expect(calculateSlot('vg:{other-team}:budget')).not.toBe([...slots][0]);
  probe.disconnect();
  client.disconnect();
});
