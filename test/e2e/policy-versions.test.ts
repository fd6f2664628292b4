// Policies in Redis at the worker level: running routers pick up a new version without a restart,
// every decision names the version it used and follows exactly that version, and a job settles
// with the card of the version that admitted it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { JobInput } from '../../src/job.js';
import { PolicyVersions, type PolicyDocument } from '../../src/queue/policy-versions.js';
import type { DecisionRecord } from '../../src/queue/records.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { connect } from '../helpers/redis.js';

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});
const doc = (text: string, origin = 'PUT /v1/teams/t/policy'): PolicyDocument => ({ text, format: 'yaml', origin });
/** Another host's apply: its own connection, nothing shared with the workers. */
function otherHost(p: Pipeline) {
  const redis = connect();
  open.push({ close: () => redis.quit() });
  return new PolicyVersions({ redis, prefix: p.prefix });
}
/** Enqueues jobs until one is decided under a version starting with `prefix` (bounded: no sleeping). */
async function decisionUnder(p: Pipeline, version: string, make: (i: number) => JobInput): Promise<DecisionRecord> {
  for (let i = 0; i < 500; i++) {
    const d = await (await p.client.enqueue(make(i))).decision();
    if (d.policyVersion?.startsWith(version)) return d;
  }
  throw new Error(`no decision named version ${version}`);
}

const V1 = `team: flow
budgets:
  projects:
    main: { limit: "500.00", period: monthly }
rules:
  audioDeferral: { when: never }
  allowResolutions: [720p, 1080p]
  maxJobCost: "5.00"
`;
const V2 = `team: flow
budgets:
  projects:
    main: { limit: "600.00", period: monthly }
rules:
  audioDeferral: { when: always }
  allowResolutions: [720p]
  ladder: [downscale-720p]
  maxJobCost: "1.00"
`;
const flowJob = (id: string): JobInput => ({ id, team: 'flow', project: 'main', model: 'kling-3.0', resolution: '1080p', audio: 'deferrable', durationSeconds: 5, prompt: 'a fox' });

it('a running router picks up a new version without a restart; each decision names the version it used', async () => {
  const p = await startPipeline({ policies: { 'flow.yaml': V1 } });
  open.push(p);
  const first = await (await p.client.enqueue(flowJob('v-0'))).decision();
  expect(first.policyVersion).toMatch(/^1:[0-9a-f]{12}$/);
  expect(first).toMatchObject({ outcome: 'admit', chosen: { resolution: '1080p', audio: 'deferrable' } });
  const [change] = await otherHost(p).apply([doc(V2)], { actor: 'ops@elsewhere' });
  expect(change).toMatchObject({ team: 'flow', from: 1, to: 2, changed: true });
  const d = await decisionUnder(p, '2:', (i) => flowJob(`v-${i + 1}`));
  expect(d).toMatchObject({ outcome: 'downgrade', chosen: { resolution: '720p', audio: 'none' } });
  const current = await p.workers.versions.current('flow');
  expect(d.policyVersion).toBe(current!.active.version);
  expect(current).toMatchObject({ version: 2, by: 'ops@elsewhere', source: V2 });
});

it('policy change under load: jobs flowing on two routers while v2 replaces v1; every decision follows exactly the version it names', async () => {
  const p = await startPipeline({ policies: { 'flow.yaml': V1 }, kling: { latencyMs: 20 } });
  open.push(p);
  await p.startMoreWorkers({ generator: false, policiesDir: undefined }); // a second router, on what is in Redis
  const before = await p.client.enqueueMany(Array.from({ length: 40 }, (_, i) => flowJob(`l-${i}`)));
  await before[0]!.decision(); // jobs are flowing
  await otherHost(p).apply([doc(V2)], { actor: 'ops' });
  const afterApply = await p.client.enqueueMany(Array.from({ length: 40 }, (_, i) => flowJob(`m-${i}`)));
  const last = await decisionUnder(p, '2:', (i) => flowJob(`n-${i}`));
  const decisions = [...(await Promise.all([...before, ...afterApply].map((h) => h.decision()))), last];
  const v1 = (await p.workers.versions.version('flow', 1))!.active.version;
  const v2 = (await p.workers.versions.version('flow', 2))!.active.version;
  const seen = new Set<string>();
  for (const d of decisions) {
    seen.add(d.policyVersion!);
    // v1: the job as asked (1080p, audio kept); v2: 720p and silent, a downgrade. A mix of the two
    // (v2's resolutions with v1's ladder, say) would be rejected or chosen otherwise.
    if (d.policyVersion === v1) expect([d.id, d.outcome, d.chosen]).toMatchObject([d.id, 'admit', { resolution: '1080p', audio: 'deferrable' }]);
    else if (d.policyVersion === v2) expect([d.id, d.outcome, d.chosen]).toMatchObject([d.id, 'downgrade', { resolution: '720p', audio: 'none' }]);
    else throw new Error(`decision ${d.id} names version ${d.policyVersion}, neither ${v1} nor ${v2}`);
  }
  expect([...seen].sort()).toEqual([v1, v2].sort());
  const results = await Promise.all([...before, ...afterApply].map((h) => h.result()));
  expect(results.filter((r) => r.state !== 'completed')).toEqual([]);
});

it('a job admitted under v1 with its own card settles with v1’s card after v2 changes the card', async () => {
  const builtIn = JSON.parse(readFileSync(new URL('../../src/pricing/cards/hf-forum-2026-04.json', import.meta.url), 'utf8'));
  const cardAt = (rate: string) => {
    const card = structuredClone(builtIn);
    card.id = 'house-2026-11';
    card.products[0].pricing.rates['720p'].silent = rate; // kling-3.0 720p silent
    return JSON.stringify(card);
  };
  const policyText = 'team: house\nrateCard: cards/house.json\nbudgets:\n  projects:\n    main: { limit: "10.00", period: monthly }\n';
  const p = await startPipeline({
    policies: { 'house.yaml': policyText, 'cards/house.json': cardAt('0.200') }, // 5 s = 1.00
    kling: { latencyMs: 1500 }, // the task outlasts the apply below
    workers: { kling: { credentials: { apiKey: 'e2e' }, unitPrice: undefined } }, // no billing record: the card prices the output
  });
  open.push(p);
  const job = (id: string): JobInput => ({ id, team: 'house', project: 'main', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a fox' });
  const h1 = await p.client.enqueue(job('c-1'));
  expect((await h1.decision()).policyVersion).toMatch(/^1:/);
  // v2: the same card id at twice the price, from another directory (the card travels in Redis).
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-v2-'));
  open.push({ close: async () => rmSync(dir, { recursive: true, force: true }) });
  mkdirSync(join(dir, 'cards'));
  writeFileSync(join(dir, 'cards/house.json'), cardAt('0.400'));
  const [change] = await otherHost(p).apply([{ text: policyText, format: 'yaml', origin: join(dir, 'house.yaml'), baseDir: dir }], { actor: 'ops' });
  expect(change).toMatchObject({ from: 1, to: 2, summary: ["rateCard: card house-2026-11's prices changed"] });
  const d2 = await decisionUnder(p, '2:', (i) => job(`c-${i + 2}`));
  const r1 = await h1.result();
  expect(r1).toMatchObject({ state: 'completed', billing: 'duration', estimatedCost: '1.00', actualCost: '1.00' });
  const r2 = await p.client.handle('house', d2.id).result();
  expect(r2).toMatchObject({ state: 'completed', billing: 'duration', estimatedCost: '2.00', actualCost: '2.00' });
});
