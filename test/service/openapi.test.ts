// The OpenAPI document is valid OpenAPI 3.1, and every operation in it answers as it says: with a
// good request, a status it documents and a body in that status's schema; with no key, 401; with
// another team's key, a refusal that shows nothing of the team (iterating the document's paths,
// so a new route cannot be left out); with a revoked key, 401 at once; over the limit, 429.
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';
import { job, SERVICE_POLICIES } from './policies.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Op = { method: string; path: string; spec: Json };

let s: TestService;
let doc: Json;
beforeAll(async () => {
  s = await startService({ policies: SERVICE_POLICIES });
  await s.call('/v1/jobs?wait=decision', { body: job('oa-1') });
  doc = await (await s.call('/openapi.json', { key: null })).json();
});
afterAll(async () => s?.close());

const operations = (): Op[] =>
  Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => ['get', 'post', 'put', 'delete', 'patch'].includes(m))
      .map(([method, spec]) => ({ method: method.toUpperCase(), path, spec })),
  );

/** A good request for each operation (as studio-a). A new route needs one here, or this test fails. */
const GOOD: Record<string, { body?: unknown; query?: string; headers?: Record<string, string>; key?: 'manageA' }> = {
  'GET /healthz': {},
  'GET /readyz': {},
  'POST /v1/jobs': { body: job('oa-2') },
  'GET /v1/jobs': { query: '?limit=5' },
  'GET /v1/jobs/{id}': {},
  'DELETE /v1/jobs/{id}': {},
  'GET /v1/jobs/{id}/events': {},
  'POST /v1/estimate': { body: { model: 'kling-o1', mode: 'image-to-video', resolution: '720p', durationSeconds: 5 } },
  'POST /v1/quote': { body: job('oa-q') },
  'GET /v1/teams/{team}/budgets': {},
  'GET /v1/teams/{team}/policy': {},
  'PUT /v1/teams/{team}/policy': { body: 'team: studio-a\nbudgets:\n  projects:\n    trailer: { limit: "50.00", period: monthly }\n', headers: { 'content-type': 'application/yaml' }, key: 'manageA' },
  'GET /v1/teams/{team}/policy/history': {},
  'PUT /v1/teams/{team}/webhooks': { body: { endpoints: [] }, key: 'manageA' },
  'GET /v1/teams/{team}/webhooks': { key: 'manageA' },
  'GET /v1/teams/{team}/webhooks/deliveries': { key: 'manageA' },
};
const fill = (path: string) => path.replace('{id}', 'oa-1').replace('{team}', 'studio-a');

function validatorFor(): (schema: Json, value: unknown) => string | null {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'doc', components: doc.components });
  return (schema, value) => {
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
    const ok = ajv.validate(rewritten, value);
    return ok ? null : ajv.errorsText(ajv.errors);
  };
}

it('is valid OpenAPI 3.1 and documents every route with the error shape', async () => {
  const result = await new Validator().validate(doc);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expect(doc.openapi).toBe('3.1.0');
  expect(operations().map((o) => `${o.method} ${o.path}`).sort()).toEqual(Object.keys(GOOD).sort());
});

it('every operation answers a good request with a documented status and body', async () => {
  const check = validatorFor();
  for (const op of operations()) {
    const good = GOOD[`${op.method} ${op.path}`]!;
    const res = await s.call(`${fill(op.path)}${good.query ?? ''}`, { method: op.method, body: good.body, headers: good.headers, key: s.key[good.key ?? 'submitA'] });
    const documented = op.spec.responses[String(res.status)];
    expect(documented, `${op.method} ${op.path} answered ${res.status}, which it does not document`).toBeDefined();
    const type = res.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) {
      expect(documented.content['text/event-stream']).toBeDefined();
      await res.text();
      continue;
    }
    const body = await res.json();
    const schema = documented.content?.['application/json']?.schema;
    expect(schema, `${op.method} ${op.path} ${res.status} has no JSON schema`).toBeDefined();
    expect(check(schema, body), `${op.method} ${op.path} ${res.status}: ${JSON.stringify(body).slice(0, 300)}`).toBeNull();
  }
});

it('/docs is served from this host alone', async () => {
  const page = await (await s.call('/docs', { key: null })).text();
  expect(page).toMatch(/swagger/i);
  const outside = [...page.matchAll(/(?:src|href)="(https?:)?\/\/[^"]+"/g)].map((m) => m[0]);
  expect(outside).toEqual([]);
});

describe('isolation', () => {
  const v1 = () => operations().filter((o) => o.path.startsWith('/v1/'));

  it('no key: 401 in the error shape on every /v1 route, nothing else', async () => {
    for (const op of v1()) {
      const good = GOOD[`${op.method} ${op.path}`]!;
      const res = await s.call(`${fill(op.path)}${good.query ?? ''}`, { method: op.method, body: good.body, headers: good.headers, key: null });
      expect([op.path, res.status]).toEqual([op.path, 401]);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String), field: 'authorization' } });
    }
  });

  it("another team's key: refused (404 for jobs, 403 for the team's resources) and shown nothing of studio-a", async () => {
    // Routes with nothing of a team in them (pricing from a rate card) and the list (its own team's jobs) answer.
    const open = new Set(['POST /v1/estimate', 'GET /v1/jobs']);
    for (const op of v1()) {
      const name = `${op.method} ${op.path}`;
      const good = GOOD[name]!;
      const res = await s.call(`${fill(op.path)}${good.query ?? ''}`, { method: op.method, body: good.body, headers: good.headers, key: good.key ? s.key.manageB : s.key.submitB });
      const text = await res.text();
      expect(text, name).not.toMatch(/oa-1"|trailer|lighthouse|policyVersion/);
      if (open.has(name)) {
        expect([name, res.status]).toEqual([name, 200]);
        continue;
      }
      const expected = op.path.startsWith('/v1/jobs/') ? 404 : 403;
      expect([name, res.status]).toEqual([name, expected]);
      expect(JSON.parse(text).error.code).toBe(expected === 404 ? 'not-found' : 'forbidden');
    }
  });

  it('an encoded path reaches no route without a key', async () => {
    for (const path of ['/%761/jobs/oa-1', '/v1/jobs/%6fa-1', '/V1/jobs/oa-1']) {
      const res = await s.call(path, { key: null });
      expect([401, 404], path).toContain(res.status);
      expect(await res.text()).not.toContain('lighthouse');
    }
  });

  it('a submit key may not change the policy: 403', async () => {
    const good = GOOD['PUT /v1/teams/{team}/policy']!;
    const res = await s.call('/v1/teams/studio-a/policy', { method: 'PUT', body: good.body, headers: good.headers, key: s.key.submitA });
    expect(res.status).toBe(403);
  });

  it('a revoked key stops working at once, on every route', async () => {
    const { key, info } = await s.keys.create({ team: 'studio-a', role: 'manage' });
    expect((await s.call('/v1/jobs/oa-1', { key })).status).toBe(200);
    expect(await s.keys.revoke(info.id)).toBe(true);
    for (const op of v1()) {
      const good = GOOD[`${op.method} ${op.path}`]!;
      const res = await s.call(`${fill(op.path)}${good.query ?? ''}`, { method: op.method, body: good.body, headers: good.headers, key });
      expect([op.path, res.status]).toEqual([op.path, 401]);
    }
  });
});

describe('rate limit', () => {
  let limited: TestService;
  beforeAll(async () => {
    limited = await startService({ policies: SERVICE_POLICIES, rateLimit: { max: 3, windowMs: 60_000 } });
  });
  afterAll(async () => limited?.close());

  it('per key: past the limit 429 with Retry-After, in the error shape; another key is not held back', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited.call('/v1/teams/studio-a/budgets')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const res = await limited.call('/v1/teams/studio-a/budgets');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await res.json()).error.code).toBe('rate-limited');
    expect((await limited.call('/v1/teams/studio-a/budgets', { key: limited.key.manageA })).status).toBe(200);
  });
});
