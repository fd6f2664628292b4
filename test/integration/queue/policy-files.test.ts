// A policy file is checked in full, by the ledger's own rules, when it is parsed: what quote
// accepts a worker applies, and a bad file among good ones writes no budget at all.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { PolicyError } from '../../../src/errors.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { policyDocuments } from '../../../src/queue/policy-files.js';
import { PolicyVersions } from '../../../src/queue/policy-versions.js';
import { testLedger } from '../../helpers/ledger.js';
import { connect } from '../../helpers/redis.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const policy = (team: string, project: string) => `team: ${team}\nbudgets:\n  team: { limit: "50.00", period: monthly }\n  projects:\n${project}\n`;
const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
};

it('an alias bomb is a PolicyError naming the file, not a stack trace', () => {
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  const err = thrown(() => parsePolicy(`${levels.join('\n')}\nteam: bomb\n`, 'bomb.yaml'));
  expect(err).toBeInstanceOf(PolicyError);
  expect(err.message).toMatch(/^policy file bomb\.yaml is not valid YAML\/JSON: Excessive alias count/);
});

it.each([
  ['a limit above the ledger’s', '    main: { limit: "99999999999", period: monthly }', 'line 5, budgets.projects.main.limit: must be at most 1000000000'],
  ['an alert finer than a millionth', '    main: { limit: "10.00", period: monthly, alerts: [0.0000001] }', 'line 5, budgets.projects.main.alerts[0]: must have at most 6 decimals'],
  ['an alert with 7 decimals', '    main: { limit: "10.00", period: monthly, alerts: [0.1234567] }', 'budgets.projects.main.alerts[0]: must have at most 6 decimals'],
])('refuses %s when parsed, naming file, line and field', (_, line, message) => {
  const err = thrown(() => parsePolicy(policy('t1', line), 'p.yaml'));
  expect(err).toBeInstanceOf(PolicyError);
  expect(err.message).toContain('policy file p.yaml is not valid:');
  expect(err.message).toContain(message);
});

it('a bad file among good ones: apply throws naming it, and no team’s budget or version is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-policies-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'a.yaml'), policy('aa', '    main: { limit: "10.00", period: monthly }'));
  writeFileSync(join(dir, 'b.yaml'), policy('bb', '    main: { limit: "99999999999", period: monthly }'));
  const { ledger, prefix } = testLedger();
  const redis = connect();
  const versions = new PolicyVersions({ redis, prefix, ledger });
  try {
    await expect(versions.apply(policyDocuments([dir]), { actor: 'test' })).rejects.toThrow(/policy file .*b\.yaml is not valid:\n {2}line 5, budgets\.projects\.main\.limit: must be at most 1000000000/);
    expect(await ledger.getBudget({ team: 'aa' })).toBeNull();
    expect(await ledger.getBudget({ team: 'aa', project: 'main' })).toBeNull();
    expect(await versions.current('aa')).toBeNull();
    expect(await versions.teams()).toEqual([]);
    writeFileSync(join(dir, 'b.yaml'), policy('bb', '    main: { limit: "1000000000", period: monthly, alerts: [0.5, 0.999999] }'));
    await versions.apply(policyDocuments([dir]), { actor: 'test' });
    expect(await ledger.getBudget({ team: 'bb', project: 'main' })).toMatchObject({ limit: '1000000000.00' });
    expect(await versions.teams()).toEqual(['aa', 'bb']);
  } finally {
    await ledger.close();
    await redis.quit();
  }
});
