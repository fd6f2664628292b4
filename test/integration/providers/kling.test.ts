import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Job, type JobInput } from '../../../src/job.js';
import { startFakeKling, type FakeKling, type FakeKlingOptions } from '../../../src/providers/fake-kling/server.js';
import { KlingAdapter, type KlingAdapterOptions } from '../../../src/providers/kling/adapter.js';
import { klingAuthorizer } from '../../../src/providers/kling/auth.js';
import { signCallback } from '../../../src/providers/kling/webhooks.js';
import { followTask } from '../../../src/providers/poll.js';
import { CallbackRejected, ProviderError } from '../../../src/providers/provider.js';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function fake(opts: FakeKlingOptions = {}): Promise<FakeKling> {
  const f = await startFakeKling({ latencyMs: 20, apiKey: 'test-key', ...opts });
  open.push(f);
  return f;
}
function adapter(f: FakeKling, opts: Partial<KlingAdapterOptions> = {}): KlingAdapter {
  return new KlingAdapter({ baseUrl: f.url, credentials: { apiKey: 'test-key' }, unitPrice: '1', retry: { attempts: 3, baseMs: 5 }, ...opts });
}
const job = (over: Partial<JobInput> = {}) =>
  Job.parse({ team: 't', project: 'p', model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 5, prompt: 'a fox', ...over });
const follow = (a: KlingAdapter, h: Awaited<ReturnType<KlingAdapter['submit']>>) => followTask(a, h, { intervalMs: 5, maxIntervalMs: 20, timeoutMs: 60_000 });
async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('each mode, polled to completion, billed as the rate card prices the reported duration', () => {
  // The bills, worked out by hand from the hf-forum-2026-04 card. The local server adds under 0.12 s
  // to each video, which rounds (nearest half up) to the second asked for.
  it.each([
    ['text-to-video', { model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 5 }, 'text2video', '0.75'], // 0.150/s × 5 s
    ['image-to-video', { model: 'kling-o1', mode: 'image-to-video', resolution: '720p', audio: 'none', durationSeconds: 10, input: { image: 'https://example.test/a.png' } }, 'omni-video', '1.111'], // fixed for 10 s
    ['motion control', { model: 'kling-motion-control', resolution: '720p', audio: 'none', durationSeconds: 10, reference: { orientation: 'video', videoSeconds: 10 }, input: { image_url: 'https://example.test/a.png', video_url: 'https://example.test/m.mp4?duration=10' } }, 'motion-control', '1.13'], // 0.113/s × 10 s
  ] as const)('%s', async (_, over, route, bill) => {
    const f = await fake();
    const a = adapter(f);
    const j = job(over as Partial<JobInput>);
    const handle = await a.submit(j, `ext-${route}`);
    expect(handle).toMatchObject({ provider: 'kling', externalId: `ext-${route}`, route });
    const seen: string[] = [];
    const done = await followTask(a, handle, { intervalMs: 5, maxIntervalMs: 10, onPoll: (s) => void seen.push(s.status) });
    expect(done.status).toBe('succeeded');
    expect(done.model).toBeNull(); // Kling's replies do not say which model ran the task
    expect(done.outputs).toHaveLength(1);
    const duration = done.outputs[0]!.durationSeconds ?? Number.NaN;
    expect(duration).toBeGreaterThanOrEqual(j.durationSeconds);
    expect(duration).toBeLessThan(j.durationSeconds + 0.5);
    // unitPrice 1: the units Kling deducted are the bill.
    expect([done.billing!.units, done.billing!.amount.toString()]).toEqual([bill, bill]);
    expect(f.tasks()).toHaveLength(1);
    expect(seen.at(-1)).toBe('succeeded');
  });
});

describe('auth', () => {
  it('rejects a wrong API key as an account problem, without echoing any secret', async () => {
    const f = await fake();
    const err = await providerError(adapter(f, { credentials: { apiKey: 'wrong-key-123' } }).submit(job(), 'x1'));
    expect(err).toMatchObject({ action: 'fail-account', details: { code: 1002, httpStatus: 401 } });
    expect(err.message).not.toContain('wrong-key-123');
  });

  it('signs JWTs the server verifies, and the server refuses expired or foreign ones', async () => {
    const f = await fake({ apiKey: undefined, accessKey: 'ak-1', secretKey: 'sk-secret' });
    const ok = adapter(f, { credentials: { accessKey: 'ak-1', secretKey: 'sk-secret' } });
    expect((await follow(ok, await ok.submit(job(), 'jwt-1'))).status).toBe('succeeded');
    const expired = adapter(f, { credentials: { accessKey: 'ak-1', secretKey: 'sk-secret' }, clock: () => Date.now() - 3_600_000 });
    expect(await providerError(expired.submit(job(), 'jwt-2'))).toMatchObject({ action: 'fail-account', details: { code: 1004 } });
    const early = adapter(f, { credentials: { accessKey: 'ak-1', secretKey: 'sk-secret' }, clock: () => Date.now() + 600_000 });
    expect(await providerError(early.submit(job(), 'jwt-3'))).toMatchObject({ details: { code: 1003 } });
    const forged = adapter(f, { credentials: { accessKey: 'ak-1', secretKey: 'not-the-secret' } });
    expect(await providerError(forged.submit(job(), 'jwt-4'))).toMatchObject({ details: { code: 1002 } });
    const otherIssuer = adapter(f, { credentials: { accessKey: 'ak-2', secretKey: 'sk-secret' } });
    expect(await providerError(otherIssuer.submit(job(), 'jwt-5'))).toMatchObject({ details: { code: 1002 } });
  });

  it('re-signs the JWT five minutes before it expires', async () => {
    let now = Date.UTC(2026, 10, 26, 12);
    const auth = klingAuthorizer({ accessKey: 'ak', secretKey: 'sk' }, () => now);
    const first = await auth();
    now += 24 * 60_000;
    expect(await auth()).toBe(first);
    now += 2 * 60_000;
    const second = await auth();
    expect(second).not.toBe(first);
    const claims = JSON.parse(Buffer.from(second.slice(7).split('.')[1]!, 'base64url').toString());
    expect(claims).toEqual({ iss: 'ak', exp: now / 1000 + 1800, nbf: now / 1000 - 5 });
  });
});

describe('creates whose fate is unknown are looked up, never sent twice', () => {
  it('a create that timed out is found by its external id', async () => {
    const f = await fake();
    // The create's reply would come after the test's own timeout: only the lookup can answer. The
    // adapter's timeout is long enough for a loaded machine to answer the lookup in time.
    const a = adapter(f, { timeoutMs: 2000 });
    const handle = await a.submit(job({ input: { x_fake: { delayMs: 60_000 } } }), 'slow-1');
    expect(f.createsFor('slow-1')).toBe(1);
    expect(f.tasks().filter((t) => t.externalId === 'slow-1')).toHaveLength(1);
    expect(handle.taskId).toBe(f.tasks()[0]!.id);
  });

  it('a 5000 whose task was created anyway is found, not re-created', async () => {
    const f = await fake();
    const handle = await adapter(f).submit(job({ input: { x_fake: { failure: 'server-error' } } }), 'err-1');
    expect(f.createsFor('err-1')).toBe(1);
    expect(handle.taskId).toBe(f.tasks()[0]!.id);
  });

  it('a second create with the same external id is rejected by the server, and the adapter returns the first task', async () => {
    const f = await fake();
    const a = adapter(f);
    const first = await a.submit(job(), 'dup-1');
    const second = await a.submit(job(), 'dup-1');
    expect(second.taskId).toBe(first.taskId);
    expect(f.createsFor('dup-1')).toBe(2);
    expect(f.tasks()).toHaveLength(1);
  });
});

describe('each error class maps to the right action', () => {
  it('content block: fail the job, no retry', async () => {
    const f = await fake();
    expect(await providerError(adapter(f).submit(job({ input: { x_fake: { failure: 'content-block' } } }), 'cb'))).toMatchObject({ action: 'fail-job', details: { code: 1301 } });
    expect(f.createsFor('cb')).toBe(1);
  });
  it('rate limit: retried with backoff, then left to retry later', async () => {
    const f = await fake();
    expect(await providerError(adapter(f).submit(job({ input: { x_fake: { failure: 'rate-limit' } } }), 'rl'))).toMatchObject({ action: 'retry', details: { code: 1302 } });
    expect(f.createsFor('rl')).toBe(3);
  });
  it('concurrency over the pack limit: retried, then a fallback candidate', async () => {
    const f = await fake({ concurrencyLimit: 1, latencyMs: 60_000 });
    const a = adapter(f);
    await a.submit(job(), 'busy-1');
    expect(await providerError(a.submit(job(), 'busy-2'))).toMatchObject({ action: 'fallback', details: { code: 1303 } });
    expect(f.createsFor('busy-2')).toBe(3);
  });
  it('maintenance: a fallback candidate', async () => {
    const f = await fake({ unavailable: ['kling-o3'] });
    expect(await providerError(adapter(f).submit(job({ model: 'kling-o3' }), 'm1'))).toMatchObject({ action: 'fallback', details: { code: 5001 } });
  });
  it('bad parameters: fail the job', async () => {
    const f = await fake();
    const err = await providerError(adapter(f).submit(job({ model: 'kling-o1', audio: 'none', durationSeconds: 7, input: { image_url: 'u' } }), 'bad'));
    expect(err).toMatchObject({ action: 'fail-job', details: { code: 1201 } });
    expect(err.message).toContain('kling-o1 image-to-video takes 5 or 10 seconds');
  });
  it("a video's length: the seconds Kling reports, or null when it leaves them out or sends no number", async () => {
    const f = await fake();
    const a = adapter(f);
    const lengths: (number | null)[] = [];
    for (const [id, reportedDuration] of [['len-1', '5.04'], ['len-2', null], ['len-3', 'n/a']] as const) {
      const done = await follow(a, await a.submit(job({ input: { x_fake: { reportedDuration } } }), id));
      lengths.push(done.outputs[0]!.durationSeconds);
    }
    expect(lengths).toEqual([5.04, null, null]);
  });
  it('units deducted that are missing or not a decimal are no billing record (settlement prices the duration)', async () => {
    const f = await fake();
    const a = adapter(f);
    const billed: (string | null)[] = [];
    for (const [id, reportedUnits] of [['u-1', '0.375'], ['u-2', null], ['u-3', '1e3'], ['u-4', '-1']] as const) {
      const done = await follow(a, await a.submit(job({ input: { x_fake: { reportedUnits } } }), id));
      billed.push(done.billing ? done.billing.amount.toString() : null);
    }
    expect(billed).toEqual(['0.375', null, null, null]);
  });
  it('a task that fails while generating reports its failure', async () => {
    const f = await fake();
    const a = adapter(f);
    const done = await follow(a, await a.submit(job({ input: { x_fake: { failure: 'task-failure' } } }), 'tf'));
    // Kling deducts nothing for a failed task: its record says 0 units.
    expect(done).toMatchObject({ status: 'failed', billing: { units: '0' }, failure: { code: 'task-failed', message: 'generation failed (injected)' } });
    expect(done.billing!.amount.isZero()).toBe(true);
  });
  it('image-to-video and motion control without their input URLs: fail the job before any request', async () => {
    const f = await fake();
    expect(await providerError(adapter(f).submit(job({ model: 'kling-o1', mode: 'image-to-video', audio: 'none', durationSeconds: 5 }), 'noimg'))).toMatchObject({
      action: 'fail-job',
      message: 'kling-o1 image-to-video needs input.image (the first frame: a URL or Base64)',
    });
    const mc = job({ model: 'kling-motion-control', audio: 'none', durationSeconds: 5, reference: { orientation: 'video', videoSeconds: 5 }, input: { image_url: 'u' } });
    expect((await providerError(adapter(f).submit(mc, 'novid'))).message).toBe('kling-motion-control motion-control needs input.video_url (the reference video whose motion it copies)');
    expect(f.tasks()).toHaveLength(0);
  });
  it('a lookup of an unknown external id is null', async () => {
    const f = await fake();
    expect(await adapter(f).findByExternalId('never', job())).toBeNull();
  });
  it('an unreachable server is a retry for reads and a lookup for creates', async () => {
    const f = await fake();
    const url = f.url;
    await f.close();
    const a = new KlingAdapter({ baseUrl: url, credentials: { apiKey: 'k' }, retry: { attempts: 1, baseMs: 1 } });
    expect(await providerError(a.status({ provider: 'kling', taskId: '1', externalId: 'e', route: 'text2video' }))).toMatchObject({ action: 'retry' });
    expect(await providerError(a.submit(job(), 'e'))).toMatchObject({ action: 'retry' });
  });
});

describe('callbacks', () => {
  const secret = `whsec_${Buffer.from('a-very-secret-callback-key-0123').toString('base64')}`;

  async function receive(f: FakeKling, a: KlingAdapter) {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    let resolveFinal!: () => void;
    const final = new Promise<void>((r) => (resolveFinal = r));
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
        if (received.length === 3) resolveFinal();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => receiver.close(() => r())) });
    await a.submit(job(), 'cb-1', { callbackUrl: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/kling` });
    await final;
    return received;
  }

  it("the server posts Kling's unsigned callbacks (the bare task, one per status); the adapter takes them as they are", async () => {
    const f = await fake({ latencyMs: 30 });
    const a = adapter(f);
    const received = await receive(f, a);
    expect(received.map((r) => JSON.parse(r.body).task_status).sort()).toEqual(['processing', 'submitted', 'succeed'].sort());
    for (const r of received) {
      expect(r.headers['webhook-signature']).toBeUndefined();
      expect(() => a.verifyCallback(r.headers as Record<string, string>, r.body)).not.toThrow();
      expect(JSON.parse(r.body)).toMatchObject({ task_info: { external_task_id: 'cb-1' } });
    }
  });

  it('with a gateway secret, signatures are required: forged, stale and unsigned callbacks are refused', async () => {
    const f = await fake({ callbackSecret: secret, latencyMs: 30 });
    const a = adapter(f, { callbackSecret: secret });
    const received = await receive(f, a);
    const last = received.find((r) => JSON.parse(r.body).task_status === 'succeed')!;
    const headers = last.headers as Record<string, string>;
    expect(() => a.verifyCallback(headers, last.body)).not.toThrow();
    expect(() => a.verifyCallback(headers, last.body.replace('succeed', 'failed'))).toThrow(CallbackRejected);
    const stale = signCallback(secret, 'msg_old', last.body, new Date(Date.now() - 10 * 60_000));
    expect(() => a.verifyCallback(stale, last.body)).toThrow(/callback rejected/);
    expect(() => a.verifyCallback({}, last.body)).toThrow('callback is not signed');
    const rotated = signCallback(secret, 'msg_new', last.body);
    rotated['webhook-signature'] = `v1,bm90LXRoZS1yaWdodC1vbmU= ${rotated['webhook-signature']}`;
    expect(() => a.verifyCallback(rotated, last.body)).not.toThrow();
  });
});

it('billing amounts never pass through a float: units are decimal strings', async () => {
  const f = await fake();
  const a = adapter(f, { unitPrice: '0.14' });
  const done = await follow(a, await a.submit(job({ resolution: '720p', audio: 'required', durationSeconds: 7 }), 'units'));
  expect(done.billing!.units).toBe('0.791'); // 0.113/s × 7 s
  expect(done.billing!.amount.toString()).toBe('0.11074'); // 0.791 units × 0.14, exactly
});

describe('the chaos suite\'s hooks on the local server', () => {
  it('a failure with times meets only the first creates of an id; the next one is accepted', async () => {
    const f = await fake();
    const a = adapter(f, { retry: { attempts: 3, baseMs: 1 } });
    const handle = await a.submit(job({ input: { x_fake: { failure: 'rate-limit', times: 2 } } }), 'rl-2');
    expect(f.createsFor('rl-2')).toBe(3);
    expect(handle.taskId).toBe(f.tasks()[0]!.id);
  });
  it('balance (1102): the account cannot pay, no task is made', async () => {
    const f = await fake();
    expect(await providerError(adapter(f).submit(job({ input: { x_fake: { failure: 'balance' } } }), 'bal'))).toMatchObject({ action: 'fail-account', details: { code: 1102, httpStatus: 429 } });
    expect(f.tasks()).toHaveLength(0);
  });
  it('hiddenMs: queries answer "not found" for a while after the create, then the task', async () => {
    let now = 1_000_000;
    const f = await fake({ clock: () => now });
    const a = adapter(f);
    const handle = await a.submit(job({ input: { x_fake: { hiddenMs: 5000 } } }), 'hid');
    await expect(a.status(handle)).rejects.toMatchObject({ action: 'fail-job', details: { code: 1203 } });
    expect(await a.findByExternalId('hid', Job.parse(job()))).toBeNull();
    now += 5000;
    expect((await a.status(handle)).handle.taskId).toBe(handle.taskId);
  });
});

describe('the state file: a restarted server remembers its tasks, as Kling does', () => {
  it('tasks, their bills and their external ids survive a restart; the same external id is still refused', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'vidgate-kling-state-')), 'state.jsonl');
    const first = await fake({ stateFile, latencyMs: 10 });
    const before = await follow(adapter(first), await adapter(first).submit(job(), 'kept-1'));
    await first.close();
    const again = await fake({ stateFile, latencyMs: 10 });
    const a = adapter(again);
    const found = await a.findByExternalId('kept-1', Job.parse(job()));
    expect(found).toMatchObject({ status: 'succeeded', handle: { taskId: before.handle.taskId } });
    expect(found!.billing!.amount.toString()).toBe(before.billing!.amount.toString());
    // A create with the same external id finds the old task instead of making another.
    expect((await a.submit(job(), 'kept-1')).taskId).toBe(before.handle.taskId);
    const next = await a.submit(job(), 'kept-2');
    expect(next.taskId).not.toBe(before.handle.taskId); // ids go on from the remembered ones
    expect(again.tasks().map((t) => t.externalId)).toEqual(['kept-1', 'kept-2']);
  });
  it('a torn last line (a crash in mid-write, before the answer) is skipped', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'vidgate-kling-state-')), 'state.jsonl');
    const first = await fake({ stateFile });
    await adapter(first).submit(job(), 'whole');
    await first.close();
    appendFileSync(stateFile, '{"id":"8000000');
    const again = await fake({ stateFile });
    expect(again.tasks().map((t) => t.externalId)).toEqual(['whole']);
  });
});

// Found by the chaos suite (seed 210734871): a create whose answer timed out, whose task Kling
// cannot show yet; the create sent again is refused as a duplicate. The task exists and will
// bill, so its fate is unknown ('lookup'), not a failed job ('fail-job' released its money).
it('a duplicate refusal for a task that cannot be read yet is a fate unknown, not a failed job', async () => {
  const f = await fake();
  const a = adapter(f, { timeoutMs: 300 });
  const err = await providerError(a.submit(job({ input: { x_fake: { delayMs: 1500, hiddenMs: 60_000 } } }), 'dup-hidden'));
  expect(err).toMatchObject({ action: 'lookup', details: { code: 1201 } });
  expect(f.tasks()).toHaveLength(1);
});
