// The whole flow against real Redis and the local Kling server over real HTTP: admit, downgrade
// and reject; staging and deferral as the provider saw them; fallbacks down and up, with and
// without top-up; settlement with variance; and each class of provider error.
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInput } from '../../src/job.js';
import { workerConnection } from '../../src/queue/connection.js';
import { externalTaskId, internalJobId, QUEUE_INTAKE } from '../../src/queue/names.js';
import { ModelId } from '../../src/catalog.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { bullPrefix, redisTarget } from '../helpers/redis.js';

const budgets = (projects: Record<string, string>) =>
  `budgets:\n  projects:\n${Object.entries(projects)
    .map(([p, l]) => `    ${p}: { limit: "${l}", period: monthly }`)
    .join('\n')}\n`;

const policies = {
  'studio-a.yaml': `team: studio-a
${budgets({ trailer: '20.00', drafts: '20.00', twice: '20.00', down: '20.00', tight: '1.00', 'err-content': '20.00', 'err-task': '20.00', 'err-5000': '20.00', 'err-rate': '20.00' })}rules:
  staging: { draft: 720p }
  audioDeferral: { when: always }
  fallback: { direction: cheaper }
  fullQualityCeiling: 0.9
  ladder: [drop-deferrable-audio, downscale-720p, cheaper-model]
`,
  'upfront.yaml': `team: upfront\n${budgets({ main: '10.00' })}rules:\n  fallback: { direction: any, maxPremium: "0.25" }\n`,
  'topup.yaml': `team: topup\n${budgets({ roomy: '10.00', snug: '1.30' })}rules:\n  fallback: { direction: any, maxPremium: "0.25", reserve: top-up }\n`,
  'nofallback.yaml': `team: nofallback\n${budgets({ main: '10.00' })}rules:\n  fallback: { direction: none }\n`,
};

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({ policies, workers: { generateAttempts: { attempts: 3, backoffMs: 10 } } });
});
afterAll(async () => p?.close());

const catalogModels = ModelId.options;
const base = { resolution: '1080p', audio: 'none', durationSeconds: 10, prompt: 'a lighthouse at dusk' } as const;
const run = async (job: JobInput) => (await p.client.enqueue(job)).result();
/** The provider tasks created for a job of studio-a, on any model. */
const taskFor = (id: string) => p.kling.tasks().filter((t) => catalogModels.some((m) => t.externalId === externalTaskId(internalJobId('studio-a', id), m)));
const budget = async (team: string, project: string) => (await p.client.budgets.show({ team, project }))!;

describe('decisions', () => {
  it('admits a job as asked and settles what the provider billed', async () => {
    const r = await run({ ...base, id: 'admit-1', team: 'studio-a', project: 'trailer', model: 'kling-3.0', resolution: '720p', durationSeconds: 5 });
    expect(r).toMatchObject({ state: 'completed', model: 'kling-3.0', estimatedCost: '0.375', actualCost: '0.375', charged: '0.375', variance: '0.00', billing: 'provider' });
    expect(r.state === 'completed' && r.videoUrl).toMatch(new RegExp(`^${p.kling.url}/videos/`));
    expect((await fetch((r as { videoUrl: string }).videoUrl)).status).toBe(200); // the video resolves
    expect(r.decision).toMatchObject({ outcome: 'admit', cost: '0.375' });
    expect(taskFor('admit-1').map((t) => t.request)).toEqual([expect.objectContaining({ model_name: 'kling-v3', mode: 'std', duration: '5', sound: 'off' })]);
    expect(await budget('studio-a', 'trailer')).toMatchObject({ spent: '0.375', reserved: '0.00' });
  });

  it('stages a draft to 720p and defers deferrable audio: the provider is asked for std, sound off', async () => {
    const r = await run({ ...base, id: 'draft-1', team: 'studio-a', project: 'drafts', model: 'kling-o3', audio: 'deferrable', stage: 'draft' });
    expect(r.decision.outcome).toBe('admit');
    expect(r.decision.rules!.map((x) => x.rule)).toEqual(expect.arrayContaining(['staging', 'audio-deferral']));
    expect(r).toMatchObject({ state: 'completed', actualCost: '0.75' });
    expect(taskFor('draft-1')[0]!.request).toMatchObject({ model_name: 'kling-v3-omni', mode: 'std', sound: 'off' });
    expect(await budget('studio-a', 'drafts')).toMatchObject({ spent: '0.75', reserved: '0.00' });
  });

  it('downgrades when the full-quality ceiling would be passed, then rejects with each scope’s headroom', async () => {
    const first = await run({ ...base, id: 'tight-1', team: 'studio-a', project: 'tight', model: 'kling-3.0' });
    expect(first.decision).toMatchObject({ outcome: 'downgrade', cost: '0.75', saving: '0.25' });
    expect(taskFor('tight-1')[0]!.request.mode).toBe('std');
    const second = await run({ ...base, id: 'tight-2', team: 'studio-a', project: 'tight', model: 'kling-3.0' });
    expect(second).toMatchObject({ state: 'rejected' });
    // The monthly window the workers' clock is in, named here from the test's own clock.
    const month = new Date().toISOString().slice(0, 7);
    expect(second.decision.code).toBe('insufficient-budget');
    expect(second.decision.reasons).toEqual(['no candidate fits the budget', `project tight (${month}): 0.25 of 1.00 available (spent 0.75, reserved 0.00)`]);
    expect(taskFor('tight-2')).toEqual([]);
  });

  it('rejects, as results kept with their reasons: no policy, no project budget, invalid job', async () => {
    expect((await run({ ...base, id: 'nopol', team: 'ghost', project: 'x', model: 'kling-3.0' })).decision).toMatchObject({ code: 'no-policy', reasons: ['team ghost has no policy'] });
    expect((await run({ ...base, id: 'noproj', team: 'studio-a', project: 'other', model: 'kling-3.0' })).decision).toMatchObject({
      code: 'no-project-budget',
      reasons: ["project other has no budget in team studio-a's policy"],
    });
    // Another producer may skip the client's validation: the router validates too.
    const connection = workerConnection(redisTarget());
    const intake = new Queue(QUEUE_INTAKE, { connection, prefix: bullPrefix(p.prefix) });
    await intake.add('job', { id: 'raw-bad', team: 'studio-a', project: 'trailer', model: 'kling-9' }, { jobId: internalJobId('studio-a', 'raw-bad') });
    const d = await p.client.handle('studio-a', 'raw-bad').decision();
    expect(d).toMatchObject({ outcome: 'reject', code: 'invalid-job' });
    expect(d.reasons[0]).toMatch(/^invalid job: model: Invalid option/);
    await intake.close();
    connection.disconnect();
    const kept = await p.client.show('studio-a', 'raw-bad');
    expect(kept).toMatchObject({ intake: 'completed', generate: null, decision: { outcome: 'reject' } });
  });

  it('a job enqueued twice is decided and generated once', async () => {
    const job = { ...base, id: 'twice', team: 'studio-a', project: 'twice', model: 'kling-o3', resolution: '720p' } as const;
    const [a, b] = await Promise.all([p.client.enqueue(job), p.client.enqueue(job)]);
    const [ra, rb] = await Promise.all([a.result(), b.result()]);
    expect(ra).toMatchObject({ state: 'completed', actualCost: '0.75' });
    expect(ra).toEqual(rb);
    expect(taskFor('twice')).toHaveLength(1);
    expect(await budget('studio-a', 'twice')).toMatchObject({ spent: '0.75', reserved: '0.00' }); // charged once
  });
});

describe('fallbacks', () => {
  it('downward: 3.0 under maintenance moves to the cheaper O3, with the variance recorded', async () => {
    const r = await run({ ...base, id: 'down-1', team: 'studio-a', project: 'down', model: 'kling-3.0', audio: 'required', input: { x_fake: { unavailable: ['kling-3.0'] } } });
    expect(r).toMatchObject({ state: 'completed', model: 'kling-o3', fellBackFrom: ['kling-3.0'], estimatedCost: '1.50', actualCost: '1.25', variance: '-0.25' });
    expect(await budget('studio-a', 'down')).toMatchObject({ spent: '1.25', reserved: '0.00' });
  });

  it('upward, reserved upfront: O3 under maintenance moves to 3.0 within the premium', async () => {
    const r = await run({ ...base, id: 'up-1', team: 'upfront', project: 'main', model: 'kling-o3', audio: 'required', input: { x_fake: { unavailable: ['kling-o3'] } } });
    expect(r.decision).toMatchObject({ cost: '1.25', reserve: '1.50' });
    expect(r).toMatchObject({ state: 'completed', model: 'kling-3.0', reserved: '1.50', actualCost: '1.50', variance: '0.25' });
  });

  it('upward with a top-up the budget holds', async () => {
    const r = await run({ ...base, id: 'up-2', team: 'topup', project: 'roomy', model: 'kling-o3', audio: 'required', input: { x_fake: { unavailable: ['kling-o3'] } } });
    expect(r.decision).toMatchObject({ reserve: '1.25' });
    expect(r).toMatchObject({ state: 'completed', model: 'kling-3.0', reserved: '1.50', charged: '1.50' });
    expect((await p.workers.ledger.audit('topup')).filter((e) => e.op === 'top-up' && e.fields.id === internalJobId('topup', 'up-2'))).toHaveLength(1);
  });

  it('upward with a top-up the budget does not hold: the job fails, saying why, and its money returns', async () => {
    const r = await run({ ...base, id: 'up-3', team: 'topup', project: 'snug', model: 'kling-o3', audio: 'required', input: { x_fake: { unavailable: ['kling-o3'] } } });
    expect(r).toMatchObject({ state: 'failed', reason: 'fallback kling-3.0 costs 1.50; topping the reservation up from 1.25 failed (insufficient-budget)' });
    expect(await budget('topup', 'snug')).toMatchObject({ spent: '0.00', reserved: '0.00' });
  });

  it('no fallback allowed: the job fails and nothing is charged', async () => {
    const r = await run({ ...base, id: 'nofb', team: 'nofallback', project: 'main', model: 'kling-o3', input: { x_fake: { unavailable: ['kling-o3'] } } });
    expect(r).toMatchObject({ state: 'failed' });
    expect(r.state === 'failed' && r.reason).toMatch(/kling-o3 is unavailable .* and the policy allows no fallback/);
    expect(await budget('nofallback', 'main')).toMatchObject({ spent: '0.00', reserved: '0.00' });
  });
});

describe('provider errors', () => {
  // Each error runs in its own project, so what it leaves in the ledger is its own.
  const job = (id: string, failure: string): JobInput => ({ ...base, id, team: 'studio-a', project: id, model: 'kling-3.0', resolution: '720p', input: { x_fake: { failure } } });
  const left = (project: string) => budget('studio-a', project);

  it('content block: failed once, released', async () => {
    const r = await run(job('err-content', 'content-block'));
    expect(r).toMatchObject({ state: 'failed', reason: 'Kling 1301: content security policy triggered' });
    expect(p.kling.createsFor(externalTaskId(internalJobId('studio-a', 'err-content'), 'kling-3.0'))).toBe(1);
    expect(await left('err-content')).toMatchObject({ spent: '0.00', reserved: '0.00' });
  });
  it('a task that fails while generating: failed, released', async () => {
    expect(await run(job('err-task', 'task-failure'))).toMatchObject({ state: 'failed', reason: 'kling-3.0 task failed: generation failed (injected)' });
    expect(await left('err-task')).toMatchObject({ spent: '0.00', reserved: '0.00' });
  });
  it('5000 with the task created anyway: found by external id, generated once, settled', async () => {
    expect(await run(job('err-5000', 'server-error'))).toMatchObject({ state: 'completed', actualCost: '0.75' });
    expect(p.kling.createsFor(externalTaskId(internalJobId('studio-a', 'err-5000'), 'kling-3.0'))).toBe(1);
    expect(await left('err-5000')).toMatchObject({ spent: '0.75', reserved: '0.00' }); // 0.075/s × 10 s
  });
  it('rate limited on every attempt: retried with backoff, then failed and released', async () => {
    const r = await run(job('err-rate', 'rate-limit'));
    expect(r).toMatchObject({ state: 'failed' });
    expect(r.state === 'failed' && r.reason).toMatch(/^gave up after 3 attempts: Kling 1302/);
    expect(p.kling.createsFor(externalTaskId(internalJobId('studio-a', 'err-rate'), 'kling-3.0'))).toBe(9); // 3 BullMQ attempts × 3 adapter attempts
    expect(await left('err-rate')).toMatchObject({ spent: '0.00', reserved: '0.00' });
  });
});
