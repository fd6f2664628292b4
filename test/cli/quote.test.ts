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

describe('example policies', () => {
  it('all load and validate, one per team', () => {
    expect([...loadPolicyDir('policies').keys()].sort()).toEqual(['agency-c', 'ml-research', 'studio-a']);
  });

  it('the committed JSON Schema matches the zod schema (npm run schema regenerates it)', () => {
    expect(JSON.parse(readFileSync('policies/policy.schema.json', 'utf8'))).toEqual(policyJsonSchema());
  });
});
