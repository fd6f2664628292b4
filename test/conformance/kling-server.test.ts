import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRateCard } from '../../src/pricing/rate-cards.js';
import type { RateCard } from '../../src/pricing/rate-card-schema.js';
import { startFakeKling, type FakeKling } from '../../src/providers/fake-kling/server.js';
import { ENDPOINT_FOLDERS, fixture, fixtures, type Fixture } from '../helpers/kling-fixtures.js';

// (c) The local Kling server accepts the requests Kling documents and answers in the shapes it
// documents: the same fields with the same JSON types, for creates, queries, lists and callbacks.

// The built-in cards price kling-3.0 only as text-to-video; this server's card prices its
// image-to-video at the same rates, so that every endpoint can be run here.
const base = loadRateCard();
const card: RateCard = { ...base, products: [...base.products, { ...base.products.find((p) => p.model === 'kling-3.0')!, mode: 'image-to-video' }] };
let server: FakeKling;
beforeAll(async () => {
  server = await startFakeKling({ latencyMs: 0, apiKey: 'k', rateCard: card });
});
afterAll(() => server.close());

const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as { code: number; message: string; request_id: string; data?: unknown } };
};

/** The JSON shape of a value: its keys, each with its JSON type, all the way down. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]).sort());
  return v === null ? 'null' : typeof v;
}

// Documented names that no vidgate rate card prices answer as Kling answers an unavailable model.
const UNPRICED = /"model_name":"kling-v2-6"/;
/** One documented request per endpoint that the default card prices. */
const RUNNABLE = {
  text2video: 'create-request-kling-v3.json',
  image2video: 'create-request.json',
  'omni-video': 'create-request-o3-text.json',
  'motion-control': 'create-request-kling-v3.json',
} as const;
let n = 0;
const unique = (doc: Fixture) => ({ ...doc.body, external_task_id: `conf-${++n}`, callback_url: undefined });

describe('documented create requests', () => {
  const creates = ENDPOINT_FOLDERS.flatMap((folder) => fixtures(folder, /^create-request/)).map((f) => [f.file, f] as const);
  it.each(creates)('%s', async (_, doc) => {
    const r = await call('POST', doc.path!, unique(doc));
    if (UNPRICED.test(JSON.stringify(doc.body))) {
      expect(r).toMatchObject({ status: 404, body: { code: 1203 } });
      return;
    }
    // A request the documentation shows is either run, or refused only for what the card prices.
    if (r.body.code !== 0) expect(r.body).toMatchObject({ code: 1201, message: expect.stringMatching(/price|duration|second/) });
    else expect(shape(r.body)).toEqual(shape(fixture(`${doc.path!.split('/')[3]}/create-response.json`).body));
  });
});

describe('documented replies', () => {
  it.each(ENDPOINT_FOLDERS.map((f) => [f]))('%s: a query by task id and by external id, and the list, in the documented shape', async (endpoint) => {
    const create = fixture(`${endpoint}/${RUNNABLE[endpoint]}`);
    const body = unique(create);
    const created = await call('POST', create.path!, body);
    expect(created.body.code).toBe(0);
    const id = (created.body.data as { task_id: string }).task_id;
    const documented = shape((fixture(`${endpoint}/query-response.json`).body as { data: unknown }).data);
    const byId = await call('GET', `/v1/videos/${endpoint}/${id}`);
    expect(shape(byId.body.data)).toEqual(documented);
    const byExternal = await call('GET', `/v1/videos/${endpoint}/${body.external_task_id}`);
    expect(byExternal.body.data).toMatchObject({ task_id: id });
    const list = await call('GET', `/v1/videos/${endpoint}?pageNum=1&pageSize=30`);
    expect(Array.isArray(list.body.data)).toBe(true);
    expect(shape((list.body.data as unknown[])[0])).toEqual(documented);
    // The video a task reports resolves: this server serves it.
    const url = (byId.body.data as { task_result: { videos: { url: string }[] } }).task_result.videos[0]!.url;
    expect((await fetch(url)).status).toBe(200);
  });

  it("Kling's defaults: mode std and duration 5 on text2video; motion control needs a mode", async () => {
    const r = await call('POST', '/v1/videos/text2video', { model_name: 'kling-v3', prompt: 'a', external_task_id: 'defaults-1' });
    expect(r.body.code).toBe(0);
    expect(server.tasks().find((t) => t.externalId === 'defaults-1')!.request).toMatchObject({ mode: 'std' });
    const mc = fixture('motion-control/create-request-kling-v3.json').body!;
    const noMode = await call('POST', '/v1/videos/motion-control', { ...mc, mode: undefined, external_task_id: 'defaults-2' });
    expect(noMode).toMatchObject({ status: 400, body: { code: 1200, message: expect.stringContaining('mode') } });
  });

  it("motion control's length follows the reference video, bounded by the orientation", async () => {
    const mc = fixture('motion-control/create-request-kling-v3.json').body!;
    const long = { ...mc, video_url: 'https://example.test/dance.mp4?duration=12', character_orientation: 'image', external_task_id: 'mc-long' };
    expect((await call('POST', '/v1/videos/motion-control', long)).body).toMatchObject({ code: 1201, message: expect.stringContaining('at most 10 s') });
    const ok = await call('POST', '/v1/videos/motion-control', { ...long, character_orientation: 'video', external_task_id: 'mc-ok' });
    expect(ok.body.code).toBe(0);
  });

  it('O1 and O3 on text2video are unknown models there (1203), as Kling answers', async () => {
    for (const name of ['kling-o3', 'kling-v3-omni', 'kling-video-o1']) {
      expect(await call('POST', '/v1/videos/text2video', { model_name: name, prompt: 'a', duration: '5' })).toMatchObject({ status: 404, body: { code: 1203 } });
    }
  });

  it("an unknown route answers in Kling's error envelope", async () => {
    const r = await call('GET', '/v1/images/generations');
    expect(r.status).toBe(404);
    expect(shape(r.body)).toEqual(shape(fixture('errors/1203.json').body));
  });
});
