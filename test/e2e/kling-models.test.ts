// Each model as Kling documents it, end to end through the workers and the local server: O3 and
// O1 on omni-video (O1's image as image_list's first frame), Motion Control with its orientation,
// no duration, priced and billed on its reference video.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobInput } from '../../src/job.js';
import { externalTaskId, internalJobId } from '../../src/queue/names.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({ policies: { 'k.yaml': 'team: k\nbudgets:\n  projects:\n    main: { limit: "50.00", period: monthly }\n' } });
});
afterAll(async () => p?.close());

const run = async (job: Omit<JobInput, 'team' | 'project'>) => (await p.client.enqueue({ ...job, team: 'k', project: 'main' })).result();
const request = (id: string, model: string) => p.kling.tasks().find((t) => t.externalId === externalTaskId(internalJobId('k', id), model as never))?.request;

it('kling-o3 goes to omni-video as kling-v3-omni, with sound', async () => {
  const r = await run({ id: 'o3-1', model: 'kling-o3', resolution: '1080p', audio: 'required', durationSeconds: 10, prompt: 'a paper boat' });
  expect(r).toMatchObject({ state: 'completed', actualCost: '1.25' }); // 0.125/s × 10 s
  expect(request('o3-1', 'kling-o3')).toMatchObject({ model_name: 'kling-v3-omni', mode: 'pro', duration: '10', sound: 'on', prompt: 'a paper boat' });
});

it('a kling-o1 image job goes to omni-video as kling-video-o1, its image the first frame of image_list', async () => {
  const r = await run({ id: 'o1-1', model: 'kling-o1', mode: 'image-to-video', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'the keeper in <<<image_1>>> waves', input: { image: 'https://example.test/keeper.png' } });
  expect(r).toMatchObject({ state: 'completed', actualCost: '0.556' }); // fixed for 5 s
  const body = request('o1-1', 'kling-o1')!;
  expect(body).toMatchObject({ model_name: 'kling-video-o1', duration: '5', image_list: [{ image_url: 'https://example.test/keeper.png', type: 'first_frame' }] });
  expect(body).not.toHaveProperty('sound'); // O1 has no audio
});

it('a Motion Control job is sent with its orientation and no duration, priced and billed on its reference video', async () => {
  const r = await run({ id: 'mc-1', model: 'kling-motion-control', resolution: '1080p', audio: 'none', reference: { orientation: 'video', videoSeconds: 12 }, input: { image_url: 'https://example.test/actor.png', video_url: 'https://example.test/dance.mp4?duration=12' } });
  expect(r).toMatchObject({ state: 'completed', estimatedCost: '1.812', actualCost: '1.812' }); // 0.151/s × 12 s
  const body = request('mc-1', 'kling-motion-control')!;
  expect(body).toMatchObject({ model_name: 'kling-v3', character_orientation: 'video', mode: 'pro', video_url: 'https://example.test/dance.mp4?duration=12' });
  expect(body).not.toHaveProperty('duration');
});
