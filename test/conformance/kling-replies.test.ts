import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../src/job.js';
import { money } from '../../src/money.js';
import { KlingAdapter } from '../../src/providers/kling/adapter.js';
import { actionForCode } from '../../src/providers/kling/codes.js';
import { TaskData } from '../../src/providers/kling/wire.js';
import { ProviderError } from '../../src/providers/provider.js';
import { ENDPOINT_FOLDERS, fixture, fixtures } from '../helpers/kling-fixtures.js';

// (b) The adapter reads every reply Kling documents: single queries, lists, callbacks and errors,
// served over real HTTP exactly as transcribed.

const app = Fastify();
const replies = new Map<string, { status: number; body: unknown }>();
app.get('/*', async (req, reply) => {
  const r = replies.get(req.url) ?? { status: 404, body: fixture('errors/1203.json').body };
  return reply.code(r.status).send(r.body);
});
let adapter: KlingAdapter;
beforeAll(async () => {
  await app.listen({ port: 0, host: '127.0.0.1' });
  adapter = new KlingAdapter({ baseUrl: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, credentials: { apiKey: 'k' }, unitPrice: '0.14', retry: { attempts: 1 } });
});
afterAll(() => app.close());

const job = Job.parse({ team: 't', project: 'p', model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 10, prompt: 'x' });

describe('queries', () => {
  it.each(ENDPOINT_FOLDERS.map((f) => [f]))('%s: a task read by its id, with its video, length and units', async (endpoint) => {
    const doc = fixture(`${endpoint}/query-response.json`);
    const data = (doc.body as { data: Record<string, unknown> & { task_id: string } }).data;
    replies.set(`/v1/videos/${endpoint}/${data.task_id}`, { status: doc.httpStatus!, body: doc.body });
    const state = await adapter.status({ provider: 'kling', taskId: data.task_id, externalId: 'e', route: endpoint });
    const video = (data.task_result as { videos: { url: string; duration: string }[] }).videos[0]!;
    expect(state.status).toBe('succeeded');
    expect(state.outputs[0]).toMatchObject({ url: video.url, durationSeconds: Number(video.duration) });
    expect(state.billing?.units).toBe(data.final_unit_deduction);
    expect(state.billing?.amount.equals(money(data.final_unit_deduction as string).times('0.14'))).toBe(true);
  });

  it('a task found by its external id in the task id slot, as the reference says', async () => {
    const request = fixture('text2video/query-request-by-external-task-id.json');
    replies.set(request.path!, { status: 200, body: fixture('text2video/query-response.json').body });
    const found = await adapter.findByExternalId('vg-job-0001', job);
    expect(found?.handle).toMatchObject({ externalId: 'vg-job-0001', route: 'text2video' });
  });

  it('a failed task: failed, with its reason, and no bill beyond what Kling deducted', async () => {
    const doc = fixture('text2video/query-response-failed.json');
    const data = (doc.body as { data: { task_id: string; task_status_msg: string } }).data;
    replies.set(`/v1/videos/text2video/${data.task_id}`, { status: 200, body: doc.body });
    const state = await adapter.status({ provider: 'kling', taskId: data.task_id, externalId: 'e', route: 'text2video' });
    expect(state).toMatchObject({ status: 'failed', failure: { message: data.task_status_msg } });
  });

  it.each([['text2video'], ['omni-video']] as const)('%s: the list endpoint, page by page', async (endpoint) => {
    const doc = fixture(`${endpoint}/list-response.json`);
    replies.set(`/v1/videos/${endpoint}?pageNum=1&pageSize=500`, { status: 200, body: doc.body });
    const seen = [];
    for await (const t of adapter.list(endpoint)) seen.push(t);
    const data = (doc.body as { data: { task_id: string; task_info: { external_task_id: string } }[] }).data;
    expect(seen.map((t) => t.handle.taskId)).toEqual(data.map((d) => d.task_id));
    expect(seen.map((t) => t.handle.externalId)).toEqual(data.map((d) => d.task_info.external_task_id));
  });
});

describe('callbacks and errors', () => {
  it.each(fixtures('callback', /^task-/).map((f) => [f.file, f] as const))('%s is a task the adapter can read', (_, doc) => {
    expect(() => TaskData.parse(doc.body)).not.toThrow();
  });

  it('an unsigned callback passes (Kling signs none); a gateway secret makes a signature required', () => {
    const body = JSON.stringify(fixture('callback/task-succeeded.json').body);
    expect(() => adapter.verifyCallback({}, body)).not.toThrow();
    const strict = new KlingAdapter({ credentials: { apiKey: 'k' }, callbackSecret: `whsec_${Buffer.from('gateway-secret').toString('base64')}` });
    expect(() => strict.verifyCallback({}, body)).toThrow('callback is not signed');
  });

  it.each(fixtures('errors', /\.json$/).map((f) => [f.file, f] as const))('%s: the documented HTTP status and code reach the caller as a ProviderError', async (file, doc) => {
    const code = (doc.body as { code: number }).code;
    replies.set(`/v1/videos/text2video/err-${code}`, { status: doc.httpStatus!, body: doc.body });
    const err = await adapter.status({ provider: 'kling', taskId: `err-${code}`, externalId: 'e', route: 'text2video' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    const e = err as ProviderError;
    // 1203 on a read is "no such task", which the adapter reports itself (without the HTTP status).
    expect(e.details).toMatchObject(code === 1203 ? { code } : { code, httpStatus: doc.httpStatus });
    expect(e.action).toBe(actionForCode(code, 'query'));
  });
});
