// The router step run twice for one job (BullMQ delivers at least once), against a real ledger and
// real queues: the second run returns the first decision and forwards nothing again, also when the
// team's policy was reloaded between the two.
import { Queue } from 'bullmq';
import { loadRateCard } from '../../../src/pricing/rate-cards.js';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { parsePolicy, type LoadedPolicy } from '../../../src/policy/load.js';
import { internalJobId, QUEUE_GENERATE, QUEUE_INTAKE } from '../../../src/queue/names.js';
import { AccountScheduler } from '../../../src/queue/scheduler/account.js';
import { readDecision, type GenerateData } from '../../../src/queue/records.js';
import { activePolicy } from '../../../src/queue/policy-store.js';
import { createRouter } from '../../../src/queue/router.js';
import { CancelGate } from '../../../src/queue/cancel-gate.js';
import { testLedger } from '../../helpers/ledger.js';
import { connect } from '../../helpers/redis.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const policyText = (limit: string, rules: string) => `team: studio\nbudgets:\n  projects:\n    main: { limit: "${limit}", period: monthly }\nrules:\n${rules}`;
// Under "ladder" a 1080p job (1.00) is admitted only up to 90% used, else its 720p variant (0.75).
const LADDER = '  fullQualityCeiling: 0.9\n  ladder: [downscale-720p]\n';
const AS_ASKED = '  fullQualityCeiling: 1\n';
const ONLY_720P = '  allowResolutions: [720p]\n  ladder: [downscale-720p]\n';
/** The job's internal id: the reservation id and the generate job id. */
const R1 = internalJobId('studio', 'r-1');
const JOB = { team: 'studio', project: 'main', model: 'kling-3.0', resolution: '1080p', audio: 'none', durationSeconds: 10 };

async function setup(limit: string) {
  const { ledger, prefix } = testLedger({ clock: Date.now });
  const redis = connect();
  const intake = new Queue(QUEUE_INTAKE, { connection: redis, prefix });
  const generate = new Queue<GenerateData>(QUEUE_GENERATE, { connection: redis, prefix });
  closers.push(() => intake.close(), () => generate.close(), () => ledger.close(), () => redis.quit());
  await ledger.setBudget({ team: 'studio', project: 'main', limit, period: 'monthly' });
  let current: LoadedPolicy = parsePolicy(policyText(limit, LADDER), 'studio.yaml');
  const scheduler = new AccountScheduler(redis, prefix);
  closers.unshift(() => redis.del(...scheduler.keys.all)); // before the connection closes
  const gate = new CancelGate(redis, prefix);
  const heldIds = new Set<string>();
  closers.unshift(() => redis.del(`${prefix}:{studio}:gate:${R1}`));
  const route = createRouter({ ledger, generate, scheduler, gate, held: async (id) => heldIds.has(id), cardFor: async (_team, ref) => loadRateCard(ref), policyFor: () => activePolicy(current), leaseMs: 60_000, log: pino({ level: 'silent' }) });
  const job = await intake.add('job', { ...JOB, id: 'r-1' }, { jobId: R1 });
  return {
    ledger,
    generate,
    scheduler,
    gate,
    heldIds,
    // What a reader gets of the router's stored decision.
    run: async () => readDecision(await route(job)),
    reload: (rules: string) => (current = parsePolicy(policyText(limit, rules), 'studio.yaml')),
    reserved: async () => (await ledger.getBudget({ team: 'studio', project: 'main' }))!.reserved,
    forwarded: async () => (await generate.getJob(R1))?.data,
  };
}

it('a second run under the same policy returns the same decision and forwards nothing again', async () => {
  const t = await setup('1.05');
  const first = await t.run();
  expect(first).toMatchObject({ outcome: 'downgrade', reserve: '0.75', chosen: { index: 1, resolution: '720p' } });
  const again = await t.run();
  expect({ ...again, decidedAt: '' }).toEqual({ ...first, decidedAt: '' });
  expect(again.code).toBe('downgraded'); // nothing was reloaded: the replay is the first decision, not a resolution
  // Forwarded once: asleep in generate until its turn, and once in its team's line on the account.
  expect(await t.generate.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 1 });
  expect((await t.scheduler.usage()).waiting).toEqual(new Map([['studio', 1]]));
  expect(await t.reserved()).toBe('0.75');
});

it('a job already forwarded keeps the variant it was forwarded as, even if the new ladder no longer offers it', async () => {
  const t = await setup('1.05');
  await t.run();
  t.reload(AS_ASKED); // the new ladder holds only the 1080p variant
  const again = await t.run();
  expect(again).toMatchObject({ outcome: 'downgrade', chosen: { resolution: '720p', reserve: '0.75' } });
  expect(again.code).toBe('reloaded-forwarded-stands');
  expect(await t.forwarded()).toMatchObject({ variant: { resolution: '720p' }, reserved: '0.75' });
  expect(await t.reserved()).toBe('0.75');
});

it('a job enqueued again after it went to the provider and its generate job aged out is rejected as already ended, never sent again', async () => {
  const t = await setup('1.05');
  await t.run();
  const ageOut = async () => {
    await (await t.generate.getJob(R1))!.remove();
    await t.scheduler.release(R1);
  };
  // Lost before the generator claimed it for the provider: it never went on, so it goes on now.
  await ageOut();
  await t.run();
  expect(await t.forwarded()).toMatchObject({ variant: { resolution: '720p' } });
  // Held for reconciliation (its claim may have expired): never sent again.
  await ageOut();
  t.heldIds.add(R1);
  expect(await t.run()).toMatchObject({ outcome: 'reject', code: 'already-ended', reasons: [expect.stringMatching(/^this job went to the provider \(its money is held for reconciliation\); a job's decision/)] });
  t.heldIds.clear();
  // Claimed for the provider, ended, and removed a day later: the same, by its claim.
  await t.gate.claim('studio', R1, 'sent');
  const again = await t.run();
  expect(again).toMatchObject({ outcome: 'reject', code: 'already-ended', reasons: [expect.stringMatching(/^this job went to the provider and has ended; .* Enqueue it under a new id to run it again$/)] });
  expect(await t.forwarded()).toBeUndefined();
  expect((await t.scheduler.usage()).waiting).toEqual(new Map());
  // Its money is as it was: a rejection here writes nothing to the ledger.
  expect(await t.reserved()).toBe('0.75');
});

it('enqueued again after its generate job aged out: one cancelled, or released before it reached the provider, is rejected too', async () => {
  for (const [how, end, reason] of [
    ['cancelled', async (t: Awaited<ReturnType<typeof setup>>) => void (await t.gate.claim('studio', R1, 'cancelled')), /^this job was cancelled; /],
    ['released', async (t: Awaited<ReturnType<typeof setup>>) => void (await t.ledger.release({ reservationId: R1, reason: 'lease expired' })), /^this job ended before it reached the provider \(its reservation was released\); /],
  ] as const) {
    const t = await setup('1.05');
    await t.run();
    await (await t.generate.getJob(R1))!.remove();
    await t.scheduler.release(R1);
    await end(t);
    expect([how, await t.run()]).toMatchObject([how, { outcome: 'reject', code: 'already-ended', reasons: [expect.stringMatching(reason)] }]);
    expect(await t.forwarded()).toBeUndefined();
  }
});

it('not yet forwarded: the replayed index is not trusted across a reload; the reservation is topped up to the new variant', async () => {
  const t = await setup('1.05');
  // The first attempt reserved the 720p variant (index 1) and died before it forwarded the job.
  await t.ledger.reserve({ reservationId: R1, team: 'studio', project: 'main', candidates: [{ cost: '1.00', ceiling: 0.9 }, { cost: '0.75' }] });
  t.reload(AS_ASKED); // index 1 no longer exists; the only variant is 1080p at 1.00
  const again = await t.run();
  expect(again).toMatchObject({ outcome: 'admit', chosen: { index: 0, resolution: '1080p' } });
  expect(again.code).toBe('reloaded-topped-up');
  expect(await t.forwarded()).toMatchObject({ variant: { resolution: '1080p' }, reserved: '1.00' });
  expect(await t.reserved()).toBe('1.00');
});

it('not yet forwarded: a reservation that covers a variant of the new ladder goes on with it', async () => {
  const t = await setup('1.05');
  await t.ledger.reserve({ reservationId: R1, team: 'studio', project: 'main', candidates: [{ cost: '1.00', ceiling: 0.9 }, { cost: '0.75' }] });
  t.reload(ONLY_720P); // 1080p is not allowed: the 720p variant is now index 0
  const again = await t.run();
  expect(again).toMatchObject({ outcome: 'downgrade', chosen: { index: 0, resolution: '720p' } });
  expect(again.code).toBe('reloaded-reservation-covers');
  expect(await t.forwarded()).toMatchObject({ variant: { resolution: '720p' }, reserved: '0.75' });
  expect(await t.reserved()).toBe('0.75');
});

it('not yet forwarded, and the budget cannot hold the new variant: rejected, the reservation released', async () => {
  const t = await setup('0.90');
  await t.ledger.reserve({ reservationId: R1, team: 'studio', project: 'main', candidates: [{ cost: '1.00', ceiling: 0.9 }, { cost: '0.75' }] });
  t.reload(AS_ASKED);
  const again = await t.run();
  expect(again).toMatchObject({ outcome: 'reject', code: 'reloaded-top-up-failed' });
  expect(again.reasons).toHaveLength(1); // one reason, for people; the code is what a program reads
  expect(await t.forwarded()).toBeUndefined();
  expect(await t.reserved()).toBe('0.00');
  expect(again.chosen).toBeNull();
});
