// Policies in Redis, versioned: apply validates everything before writing, versions are per team
// and never reused, history is bounded, JSON and YAML get the same rules and messages.
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { PolicyError } from '../../../src/errors.js';
import { PolicyStore } from '../../../src/queue/policy-store.js';
import { PolicyVersions, type PolicyDocument } from '../../../src/queue/policy-versions.js';
import { testLedger } from '../../helpers/ledger.js';
import { connect } from '../../helpers/redis.js';

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});
function setup(keep?: number) {
  const { ledger, prefix } = testLedger();
  const redis = connect();
  closers.push(() => ledger.close(), () => redis.quit());
  return { ledger, prefix, redis, versions: new PolicyVersions({ redis, prefix, ledger, ...(keep ? { keep } : {}) }) };
}
const yaml = (team: string, limit: string, extra = ''): PolicyDocument => ({
  text: `team: ${team}\nbudgets:\n  projects:\n    main: { limit: "${limit}", period: monthly }\n${extra}`,
  format: 'yaml',
  origin: `${team}.yaml`,
});
const rejection = async (p: Promise<unknown>): Promise<PolicyError> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('expected a PolicyError');
};

it('a bad document among several writes nothing: no version, no budget, no team', async () => {
  const { versions, ledger } = setup();
  await versions.apply([yaml('aa', '10.00')], { actor: 'test' });
  const err = await rejection(versions.apply([yaml('aa', '99.00'), yaml('bb', '10.00'), yaml('cc', '10.00', 'rules:\n  maxJobCost: 5\n')], { actor: 'test' }));
  expect(err.message).toContain('policy file cc.yaml is not valid:\n  line 6, rules.maxJobCost:');
  expect(err.details).toMatchObject({ field: 'rules.maxJobCost', line: 6 });
  expect((await versions.current('aa'))!.version).toBe(1);
  expect(await ledger.getBudget({ team: 'aa', project: 'main' })).toMatchObject({ limit: '10.00' });
  expect(await ledger.getBudget({ team: 'bb', project: 'main' })).toBeNull();
  expect(await versions.teams()).toEqual(['aa']);
});

it('JSON gets the same rules, fields and lines as YAML', async () => {
  const { versions } = setup();
  const json: PolicyDocument = { text: '{\n  "team": "aa",\n  "budgets": {\n    "projects": {\n      "main": { "limit": "99999999999", "period": "monthly" }\n    }\n  }\n}\n', format: 'json', origin: 'PUT /v1/teams/aa/policy' };
  const asYaml: PolicyDocument = { text: 'team: aa\nbudgets:\n  projects:\n    main:\n      limit: "99999999999"\n      period: monthly\n', format: 'yaml', origin: 'aa.yaml' };
  const j = await rejection(versions.apply([json], { actor: 'test' }));
  const y = await rejection(versions.apply([asYaml], { actor: 'test' }));
  expect(j.message).toContain('line 5, budgets.projects.main.limit: must be at most 1000000000');
  expect(y.message).toContain('line 5, budgets.projects.main.limit: must be at most 1000000000');
  expect(j.details).toMatchObject({ field: 'budgets.projects.main.limit', line: 5 });
  expect(y.details).toMatchObject({ field: 'budgets.projects.main.limit', line: 5 });
  const broken = await rejection(versions.apply([{ ...json, text: '{ "team": "aa",\n  "budgets": [ } }' }], { actor: 'test' }));
  expect(broken.message).toMatch(/^policy PUT \/v1\/teams\/aa\/policy, line 2 is not valid JSON/);
  // A body may not name a card file: that would read the server's disk.
  const card = await rejection(versions.apply([{ ...json, text: '{ "team": "aa", "rateCard": "/etc/passwd.json" }' }], { actor: 'test' }));
  expect(card.message).toContain('rateCard: /etc/passwd.json is not a built-in card');
  expect(await versions.teams()).toEqual([]);
});

it('oversized documents, alias bombs, another team under onlyTeam, two policies for one team: refused, nothing written', async () => {
  const { versions } = setup();
  const big = await rejection(versions.apply([yaml('aa', '10.00', `# ${'x'.repeat(300 * 1024)}\n`)], { actor: 't' }));
  expect(big.message).toMatch(/^policy aa\.yaml is \d+ bytes: a policy may be at most 262144 bytes/);
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  const bomb = await rejection(versions.apply([{ text: `${levels.join('\n')}\nteam: aa\n`, format: 'yaml', origin: 'bomb.yaml' }], { actor: 't' }));
  expect(bomb.message).toContain('Excessive alias count');
  const other = await rejection(versions.apply([yaml('bb', '10.00')], { actor: 't', onlyTeam: 'aa' }));
  expect(other.message).toBe('bb.yaml: the policy is for team bb, not aa');
  const twice = await rejection(versions.apply([yaml('aa', '10.00'), { ...yaml('aa', '11.00'), origin: 'again.yaml' }], { actor: 't' }));
  expect(twice.message).toBe('team aa has two policies: aa.yaml and again.yaml');
  expect(await versions.teams()).toEqual([]);
});

it('concurrent applies get distinct versions; the same content twice is one version', async () => {
  const { versions } = setup();
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => versions.apply([yaml('aa', `${10 + i}.00`)], { actor: `a${i}` })));
  const made = results.map((r) => r[0]!.to).filter((v) => v !== null);
  expect(made.sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  const history = await versions.history('aa');
  expect(history.map((h) => h.version)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  const same = await Promise.all([0, 1, 2].map(() => versions.apply([yaml('aa', '50.00')], { actor: 'same' })));
  expect(same.map((r) => r[0]!.to).filter((v) => v !== null)).toEqual([9]); // one made it, the others found it current
  // Comments and layout are not content.
  const [again] = await versions.apply([{ ...yaml('aa', '50.00'), text: `# reformatted\n${yaml('aa', '50.00').text}` }], { actor: 'x' });
  expect(again).toMatchObject({ changed: false, from: 9, to: null });
});

it('history is bounded and newest first; versions are immutable', async () => {
  const { versions, redis, prefix } = setup(3);
  for (let i = 1; i <= 5; i++) await versions.apply([yaml('aa', `${i}.00`)], { actor: `u${i}` });
  expect((await versions.history('aa')).map((h) => [h.version, h.by])).toEqual([[5, 'u5'], [4, 'u4'], [3, 'u3']]);
  expect((await versions.history('aa', { limit: 1, before: 5 })).map((h) => h.version)).toEqual([4]);
  expect(await versions.version('aa', 2)).toBeNull();
  expect(await redis.exists(`${prefix}:policy:{aa}:v:1`, `${prefix}:policy:{aa}:v:2`)).toBe(0);
  const v3 = await versions.version('aa', 3);
  expect(v3).toMatchObject({ version: 3, by: 'u3', source: yaml('aa', '3.00').text, active: { version: `3:${v3!.digest}` } });
  expect(v3!.active.policy.budgets.projects.main!.limit).toBe('3.00');
});

it('a store follows new versions without a restart, and a hostile team name finds nothing', async () => {
  const { versions, redis, prefix, ledger } = setup();
  await versions.apply([yaml('aa', '10.00')], { actor: 't' });
  const subscriber = connect();
  closers.push(async () => subscriber.quit());
  const store = new PolicyStore(new PolicyVersions({ redis, prefix, ledger }), subscriber, pino({ level: 'silent' }), 50);
  await store.start();
  closers.unshift(() => store.close());
  expect(store.get('aa')!.version).toMatch(/^1:/);
  expect(store.get('constructor')).toBeUndefined();
  await versions.apply([yaml('aa', '20.00')], { actor: 't' });
  await expect.poll(() => store.get('aa')?.version, { timeout: 10_000, interval: 20 }).toMatch(/^2:/);
  expect(store.get('aa')!.policy.budgets.projects.main!.limit).toBe('20.00');
  await expect(versions.current('Bad:Name')).rejects.toThrow('team is not valid');
});
