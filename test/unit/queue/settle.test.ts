import { pino } from 'pino';
import { loadRateCard } from '../../../src/pricing/rate-cards.js';
import { expect, it } from 'vitest';
import { Job } from '../../../src/job.js';
import { pricingTermsOf } from '../../../src/queue/records/admission.js';
import type { TaskState } from '../../../src/providers/provider.js';
import { actualCost } from '../../../src/queue/generate/settle.js';

const log = pino({ level: 'silent' });
const task = (seconds: string | null): TaskState => ({
  handle: { provider: 'kling', taskId: 't', externalId: 'e', route: 'motion-control' },
  status: 'succeeded',
  model: null,
  outputs: [{ id: 'v', url: 'u', durationSeconds: seconds === null ? null : Number(seconds) }],
  billing: null,
  failure: null,
  createdAt: null,
});

const cardFor = async (_team: string, ref: string) => loadRateCard(ref);

it("Motion Control without a billing record is priced on the video's real length, not the length the job stated", async () => {
  // The job said its reference video runs 3 s; the provider made (and bills) 30.04 s.
  const variant = Job.parse({ team: 't', project: 'p', model: 'kling-motion-control', resolution: '1080p', audio: 'none', reference: { orientation: 'video', videoSeconds: 3 } });
  const terms = pricingTermsOf({ variant, rateCard: 'hf-forum-2026-04' });
  const job = { id: 'j', team: 't' };
  expect(await actualCost(job, terms, task('30.04'), log, cardFor)).toMatchObject({ billing: 'duration' });
  expect((await actualCost(job, terms, task('30.04'), log, cardFor)).actual.toString()).toBe('4.53'); // 0.151/s × 30 s
  // With no length reported, the length asked: 0.151 × 3.
  expect((await actualCost(job, terms, task(null), log, cardFor)).actual.toString()).toBe('0.453');
});
