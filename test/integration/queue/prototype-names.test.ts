// Project names are keys of a plain object in a policy: one that names a member of
// Object.prototype (`constructor`, …) must not find the prototype's member and be admitted
// without a budget. The router and `quote` share the one lookup; here the router runs against a
// real ledger and queues, over every such name and arbitrary ones.
import { Queue } from 'bullmq';
import { loadRateCard } from '../../../src/pricing/rate-cards.js';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Name } from '../../../src/names.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { projectBudgetOf } from '../../../src/policy/schema.js';
import { internalJobId, QUEUE_GENERATE, QUEUE_INTAKE } from '../../../src/queue/names.js';
import { AccountScheduler } from '../../../src/queue/scheduler/account.js';
import { activePolicy } from '../../../src/queue/policy-store.js';
import type { GenerateData } from '../../../src/queue/records.js';
import { CancelGate } from '../../../src/queue/cancel-gate.js';
import { createRouter } from '../../../src/queue/router.js';
import { testLedger } from '../../helpers/ledger.js';
import { connect } from '../../helpers/redis.js';

/** Every name on Object.prototype (and on a function, for good measure) that a Name can spell. */
const PROTO_NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Function.prototype), 'constructor', 'tostring', 'valueof', 'hasownproperty', '__proto__', 'prototype'])];
const names = fc.oneof(fc.constantFrom(...PROTO_NAMES), fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/));
const policy = parsePolicy('team: studio\nbudgets:\n  projects:\n    main: { limit: "10.00", period: monthly }\n', 'studio.yaml');

let t: Awaited<ReturnType<typeof setup>>;
async function setup() {
  const { ledger, prefix } = testLedger({ clock: Date.now });
  const redis = connect();
  const intake = new Queue(QUEUE_INTAKE, { connection: redis, prefix });
  const generate = new Queue<GenerateData>(QUEUE_GENERATE, { connection: redis, prefix });
  await ledger.setBudget({ team: 'studio', project: 'main', limit: '10.00', period: 'monthly' });
  const route = createRouter({ ledger, generate, scheduler: new AccountScheduler(redis, prefix), gate: new CancelGate(redis, prefix), held: async () => false, cardFor: async (_team, ref) => loadRateCard(ref), policyFor: (team) => (team === 'studio' ? activePolicy(policy) : undefined), leaseMs: 60_000, log: pino({ level: 'silent' }) });
  return { ledger, intake, generate, route, close: async () => (await intake.close(), await generate.close(), await ledger.close(), redis.quit()) };
}
beforeAll(async () => (t = await setup()));
afterAll(async () => t?.close());

it('no project name a policy does not list has a budget in it', () => {
  fc.assert(fc.property(names, (name) => name === 'main' || projectBudgetOf(policy.policy, name) === undefined), { numRuns: 500 });
  expect(projectBudgetOf(policy.policy, 'main')).toMatchObject({ limit: '10.00' });
});

it('the router rejects a job for a project the policy does not list, whatever its name, and reserves nothing', async () => {
  let n = 0;
  const from = new Date().toISOString().slice(0, 10);
  await fc.assert(
    fc.asyncProperty(names.filter((name) => name !== 'main' && Name.safeParse(name).success), async (project) => {
      const id = `p-${n++}`;
      const bull = await t.intake.add('job', { id, team: 'studio', project, model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5 }, { jobId: internalJobId('studio', id) });
      const d = await t.route(bull);
      expect([project, d.code]).toEqual([project, 'no-project-budget']);
    }),
    { numRuns: 60 },
  );
  expect(await t.generate.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 0 });
  expect(await t.ledger.getBudget({ team: 'studio', project: 'main' })).toMatchObject({ reserved: '0.00' });
  // Each rejection is recorded once, under no project: a caller's name never becomes a history field.
  const audit = await t.ledger.audit('studio');
  expect(audit.filter((e) => e.op !== 'set-budget' && e.op !== 'reject')).toEqual([]);
  expect(audit.filter((e) => e.op === 'reject').map((e) => e.fields.project)).toEqual(Array.from({ length: n }, () => '-'));
  const rows = await t.ledger.history({ team: 'studio', from, to: new Date().toISOString().slice(0, 10) });
  expect(rows.map((r) => [r.project, r.model])).toEqual(rows.map(() => ['-', 'kling-3.0']));
  expect(rows.reduce((sum, r) => sum + (r.rejected.get('no-project-budget') ?? 0), 0)).toBe(n);
});
