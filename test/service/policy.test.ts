// The policy routes against the Redis policy store: a bad policy is 422 with where and what is
// allowed and changes nothing; a manage key changes its own team; a new team needs the admin key.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_KEY, startService, type TestService } from '../helpers/service.js';
import { SERVICE_POLICIES } from './policies.js';

let s: TestService;
beforeAll(async () => {
  s = await startService({ policies: SERVICE_POLICIES });
});
afterAll(async () => s?.close());

const yaml = { 'content-type': 'application/yaml' };
const policy = (team: string, limit: string) => `team: ${team}\nbudgets:\n  projects:\n    trailer: { limit: "${limit}", period: monthly }\n`;

it('a bad policy is 422 naming the field, and nothing changes', async () => {
  const before = await (await s.call('/v1/teams/studio-a/policy')).json();
  const res = await s.call('/v1/teams/studio-a/policy', { method: 'PUT', key: s.key.manageA, headers: yaml, body: 'team: studio-a\nbudgets:\n  projects:\n    trailer: { limit: "5", period: yearly }\n' });
  expect(res.status).toBe(422);
  const body = await res.json();
  expect(body.error.code).toBe('invalid-policy');
  expect(body.error.message).toMatch(/period/);
  expect(await (await s.call('/v1/teams/studio-a/policy')).json()).toEqual(before);
});

it('a manage key changes its team; the history shows both versions', async () => {
  const res = await s.call('/v1/teams/studio-a/policy', { method: 'PUT', key: s.key.manageA, headers: yaml, body: policy('studio-a', '70.00') });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ team: 'studio-a', changed: true });
  const history = await (await s.call('/v1/teams/studio-a/policy/history')).json();
  expect(history.versions.length).toBeGreaterThanOrEqual(2);
  expect((await (await s.call('/v1/teams/studio-a/policy')).json()).source).toContain('70.00');
});

it('a new team needs the admin key', async () => {
  const refused = await s.call('/v1/teams/newteam/policy', { method: 'PUT', key: s.key.manageA, headers: yaml, body: policy('newteam', '5') });
  expect(refused.status).toBe(403);
  const made = await s.call('/v1/teams/newteam/policy', { method: 'PUT', key: ADMIN_KEY, body: { team: 'newteam', budgets: { projects: { trailer: { limit: '5', period: 'monthly' } } } } });
  expect(made.status).toBe(200);
  expect((await s.call('/v1/teams/newteam/budgets', { key: ADMIN_KEY })).status).toBe(200);
});
