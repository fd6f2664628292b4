import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../../src/policy/json-schema.js';
import { loadPolicyDir } from '../../src/policy/load.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vidgate-quote-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const draft = file('draft.json', { id: 'shot-1', team: 'studio-a', project: 'trailer', model: 'kling-o3', resolution: '1080p', audio: 'required', durationSeconds: 10, stage: 'draft' });
const deferrable = file('deferrable.json', { team: 'studio-a', project: 'trailer', model: 'kling-3.0', resolution: '1080p', audio: 'deferrable', durationSeconds: 10 });

describe('vidgate quote', () => {
  it('quotes a draft at 720p with its audio, as JSON', async () => {
    const r = await runCli(['quote', '--policy', 'policies/studio-a.yaml', '--job', draft, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ outcome: 'admit', requestedCost: '1.25', cost: '1.00', reserve: '1.00', saving: '0.25', reasons: [] });
    expect(out.chosen).toMatchObject({ model: 'kling-o3', resolution: '720p', audio: 'required' });
    expect(out.rules.map((r: { rule: string }) => r.rule)).toContain('staging');
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['outcome', 'chosen', 'requestedCost', 'cost', 'reserve', 'saving', 'candidates', 'rules', 'reasons']));
  });

  it('explains the rules that fired in readable output', async () => {
    const r = await runCli(['quote', '--policy', 'policies/studio-a.yaml', '--job', deferrable, '--budget', '100', '--used', '95']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('audio-deferral: deferrable audio generated silent (always)');
    expect(r.stdout).toMatch(/decision: DOWNGRADE candidate 1, kling-3\.0 text-to-video 720p silent 10s at 0\.75/);
  });

  it('refuses a job for a project the policy has no budget for, also one named like a member of Object.prototype', async () => {
    for (const project of ['constructor', 'unknown']) {
      const job = file(`${project}.json`, { team: 'studio-a', project, model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5 });
      const r = await runCli(['quote', '--policy', 'policies/studio-a.yaml', '--job', job]);
      expect([project, r.code, r.stdout]).toEqual([project, 2, '']);
      expect(r.stderr).toContain(`project ${project} has no budget in policy policies/studio-a.yaml (its projects: `);
    }
  });

  it('rejects when nothing fits the simulated budget', async () => {
    const r = await runCli(['quote', '--policy', 'policies/studio-a.yaml', '--job', deferrable, '--budget', '100', '--used', '99.5', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'reject', chosen: null, reasons: ['no candidate fits: 0.50 of 100.00 available, cheapest candidate reserves 0.75'] });
  });

  it.each([
    [['--job', draft], "required option '--policy <file>' not specified"],
    [['--policy', 'policies/studio-a.yaml', '--job', join(dir, 'missing.json')], 'cannot read job file'],
    [['--policy', file('bad.yaml', 'team: studio-a\nrules:\n  ladder: [upscale]\n'), '--job', draft], 'line 3, rules.ladder[0]: Invalid option'],
    [['--policy', 'policies/studio-a.yaml', '--job', file('badjob.json', { team: 'studio-a', project: 'trailer', model: 'kling-o1', resolution: '1080p', audio: 'none', durationSeconds: 7 })], 'kling-o1 image-to-video takes 5 or 10 seconds, got 7'],
    [['--policy', 'policies/studio-a.yaml', '--job', file('other.json', { team: 'agency-c', project: 'x', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5 })], 'job is for team agency-c'],
    [['--policy', 'policies/studio-a.yaml', '--job', draft, '--used', '5'], '--used needs --budget'],
    [['--policy', 'policies/studio-a.yaml', '--job', draft, '--budget', 'lots'], 'expected an amount'],
  ])('exits 2 on %j', async (args, message) => {
    const r = await runCli(['quote', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });
});

describe('vidgate quote: Motion Control and the omni models', () => {
  const mcJob = { team: 'studio-a', project: 'teaser', model: 'kling-motion-control', resolution: '1080p', audio: 'none' };
  it('quotes a Motion Control job on its reference video, keeping the reference on every candidate', async () => {
    const job = file('mc.json', { ...mcJob, reference: { orientation: 'video', videoSeconds: 30 } });
    const r = await runCli(['quote', '--policy', 'policies/studio-a.yaml', '--job', job, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    // studio-a caps a job at 5.00: 4.53 is admitted as asked.
    expect(out).toMatchObject({ outcome: 'admit', requestedCost: '4.53', cost: '4.53' });
    expect(out.chosen).toMatchObject({ durationSeconds: 30, billedSeconds: 30, reference: { orientation: 'video', videoSeconds: 30 } });
    for (const c of out.candidates) expect(c).toMatchObject({ durationSeconds: 30, reference: { orientation: 'video', videoSeconds: 30 } });
    const text = await runCli(['quote', '--policy', 'policies/studio-a.yaml', '--job', job]);
    expect(text.stdout).toContain('kling-motion-control motion-control 1080p silent 30s, orientation video, production');
  });

  it('quotes an O1 image-to-video job', async () => {
    const job = file('o1.json', { team: 'studio-a', project: 'trailer', model: 'kling-o1', mode: 'image-to-video', resolution: '1080p', audio: 'none', durationSeconds: 10 });
    const r = await runCli(['quote', '--policy', 'policies/studio-a.yaml', '--job', job, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'admit', cost: '1.111', chosen: { model: 'kling-o1', mode: 'image-to-video', reference: null } });
  });

  it.each([
    ['old.json', { ...mcJob, durationSeconds: 12, reference: { kind: 'video', durationSeconds: 12 } }, 'line 1, reference: kind and durationSeconds are gone: write reference: { orientation: video, videoSeconds: 12 } (orientation image ≤ 10 s, video ≤ 30 s)'],
    ['long.json', { ...mcJob, reference: { orientation: 'image', videoSeconds: 14 } }, 'line 1, reference.videoSeconds: orientation image takes a reference video up to 10 s, got 14 (orientation video takes up to 30 s)'],
    ['length.json', { ...mcJob, durationSeconds: 10, reference: { orientation: 'video', videoSeconds: 20 } }, "line 1, durationSeconds: the reference video sets a Motion Control job's length: omit durationSeconds or make it 20 (reference.videoSeconds), got 10"],
    ['guess.json', { ...mcJob, reference: { orientation: 'video' } }, "line 1, reference.videoSeconds: missing: the reference video's length in seconds: Motion Control is billed on it, and vidgate never reserves a guess"],
  ])('refuses %s, saying what to write', async (name, content, line) => {
    const job = file(name, content);
    const r = await runCli(['quote', '--policy', 'policies/studio-a.yaml', '--job', job]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`vidgate: job file ${job} is not valid:\n  ${line}\n`);
  });

  it('refuses O3 image-to-video on a card that does not price it', async () => {
    const job = file('o3i.json', { team: 'studio-a', project: 'trailer', model: 'kling-o3', mode: 'image-to-video', resolution: '1080p', audio: 'none', durationSeconds: 10 });
    const r = await runCli(['quote', '--policy', 'policies/studio-a.yaml', '--job', job]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('vidgate: rate card hf-forum-2026-04 does not price kling-o3 image-to-video: it prices kling-o3 only as text-to-video\n');
  });
});

describe('example policies', () => {
  it('all load and validate, one per team', () => {
    expect([...loadPolicyDir('policies').keys()].sort()).toEqual(['agency-c', 'ml-research', 'studio-a']);
  });

  it('the committed JSON Schema matches the zod schema (npm run schema regenerates it)', () => {
    expect(JSON.parse(readFileSync('policies/policy.schema.json', 'utf8'))).toEqual(policyJsonSchema());
  });
});
