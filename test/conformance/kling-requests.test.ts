import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, type JobInput } from '../../src/job.js';
import { KlingAdapter } from '../../src/providers/kling/adapter.js';
import { fixture } from '../helpers/kling-fixtures.js';

// (a) The adapter's create requests, over real HTTP, equal the bodies transcribed from Kling's
// reference field for field: the same path, the same fields, the same values and JSON types.

const received: { path: string; body: unknown; auth: string | undefined }[] = [];
const created = fixture('text2video/create-response.json').body;
const app = Fastify();
app.post('/v1/videos/:endpoint', async (req) => {
  received.push({ path: req.url, body: req.body, auth: req.headers.authorization });
  return created;
});
let adapter: KlingAdapter;
beforeAll(async () => {
  await app.listen({ port: 0, host: '127.0.0.1' });
  adapter = new KlingAdapter({ baseUrl: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, credentials: { accessKey: 'ak', secretKey: 'sk' } });
});
afterAll(() => app.close());

const base = { team: 't', project: 'p' };
// Each row: the documented example, and the vidgate job that asks for exactly that.
const rows: [string, JobInput][] = [
  [
    'text2video/create-request-kling-v3.json',
    { ...base, model: 'kling-3.0', mode: 'text-to-video', resolution: '720p', audio: 'none', durationSeconds: 10, prompt: 'A lighthouse on a cliff at dusk, waves crashing, slow aerial orbit', input: { negative_prompt: '', aspect_ratio: '16:9' } },
  ],
  [
    'image2video/create-request.json',
    { ...base, model: 'kling-3.0', mode: 'image-to-video', resolution: '1080p', audio: 'none', durationSeconds: 5, prompt: 'The girl turns to the camera and smiles', input: { image: 'https://p2-kling.klingai.com/kcdn/cdn-kcdn112452/kling-qa-test/multi-2.png', negative_prompt: '' } },
  ],
  [
    'omni-video/create-request-o1-text-5s.json',
    { ...base, model: 'kling-o1', mode: 'text-to-video', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'The person in the video is dancing.', input: { aspect_ratio: '1:1' } },
  ],
  [
    'omni-video/create-request-o1-first-frame.json',
    { ...base, model: 'kling-o1', mode: 'image-to-video', resolution: '1080p', audio: 'none', durationSeconds: 10, prompt: 'The person in <<<image_1>>> turns and walks away', input: { image: 'https://p2-kling.klingai.com/kcdn/cdn-kcdn112452/kling-qa-test/multi-1.png' } },
  ],
  [
    'omni-video/create-request-o3-text.json',
    { ...base, model: 'kling-o3', mode: 'text-to-video', resolution: '720p', audio: 'required', durationSeconds: 12, prompt: 'A paper boat drifting down a rain-filled gutter, macro lens', input: { aspect_ratio: '16:9' } },
  ],
  [
    'omni-video/create-request-o3-image.json',
    { ...base, model: 'kling-o3', mode: 'image-to-video', resolution: '1080p', audio: 'none', durationSeconds: 8, prompt: 'The person in <<<image_1>>> waves to the camera', input: { image: 'https://p2-kling.klingai.com/kcdn/cdn-kcdn112452/kling-qa-test/multi-1.png' } },
  ],
  [
    'motion-control/create-request-kling-v3.json',
    {
      ...base,
      model: 'kling-motion-control',
      resolution: '720p',
      audio: 'none',
      reference: { orientation: 'video', videoSeconds: 12 },
      input: { image_url: 'https://p2-kling.klingai.com/kcdn/cdn-kcdn112452/kling-qa-test/multi-3.ng.png', video_url: 'https://p2-kling.klingai.com/kcdn/cdn-kcdn112452/kling-qa-test/dance.mp4', element_list: [{ element_id: 829836802793406551 }], keep_original_sound: 'no' },
    },
  ],
];

describe('the adapter sends what Kling documents, for every model and mode', () => {
  it.each(rows)('%s', async (file, input) => {
    const doc = fixture(file);
    const body = doc.body!;
    const job = Job.parse(input);
    const callbackUrl = typeof body.callback_url === 'string' ? body.callback_url : undefined;
    received.length = 0;
    await adapter.submit(job, body.external_task_id as string, callbackUrl ? { callbackUrl } : {});
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe(doc.path);
    expect(received[0]!.body).toEqual(body);
    expect(received[0]!.auth).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/); // the JWT Kling documents
  });

  it('motion control sends no duration: the reference video sets the length', async () => {
    received.length = 0;
    await adapter.submit(Job.parse(rows.at(-1)![1]), 'mc-x');
    expect(received[0]!.body).not.toHaveProperty('duration');
  });

  it('a job Kling cannot run as asked is refused before any request, saying what is missing', async () => {
    received.length = 0;
    const noImage = Job.parse({ ...base, model: 'kling-o3', mode: 'image-to-video', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'x' });
    await expect(adapter.submit(noImage, 'x1')).rejects.toThrow('kling-o3 image-to-video needs input.image (the first frame: a URL or Base64)');
    const noVideo = Job.parse({ ...rows.at(-1)![1], input: { image_url: 'https://a/b.png' } });
    await expect(adapter.submit(noVideo, 'x2')).rejects.toThrow('needs input.video_url');
    expect(received).toHaveLength(0);
  });
});

it('fields Kling documents that change the bill, and vidgate does not price, are refused before any request', async () => {
  received.length = 0;
  const edit = Job.parse({ ...base, model: 'kling-o1', mode: 'text-to-video', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'x', input: { video_list: [{ video_url: 'https://a/b.mp4' }] } });
  await expect(adapter.submit(edit, 'x3')).rejects.toMatchObject({ action: 'fail-job', message: 'input.video_list: vidgate does not price this yet, so the job is not sent' });
  expect(received).toHaveLength(0);
});
