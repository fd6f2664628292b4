import { afterAll, beforeAll, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';

let s: TestService;
beforeAll(async () => {
  s = await startService({ policies: { 'studio-a.yaml': 'team: studio-a\nbudgets:\n  projects:\n    trailer: { limit: "20.00", period: monthly }\n' } });
});
afterAll(async () => s?.close());

it('smoke', async () => {
  const r = await s.call('/v1/jobs?wait=decision', { body: { id: 'a1', team: 'studio-a', project: 'trailer', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5 } });
  console.log(r.status, await r.text());
  const g = await s.call('/v1/jobs/a1');
  console.log(g.status, await g.text());
  const o = await s.call('/openapi.json', { key: null });
  console.log(o.status, (await o.text()).slice(0, 3000));
  const bad = await s.call('/v1/jobs', { body: { id: 'a1', team: 'studio-a', project: 'trailer', model: 'kling-9', resolution: '720p', audio: 'none', durationSeconds: 5 } });
  console.log(bad.status, await bad.text());
  expect(r.status).toBe(202);
});
