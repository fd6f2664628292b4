import Fastify from 'fastify';
import { PolicyCards } from '../../../src/queue/policy-cards.js';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Ledger } from '../../../src/ledger/ledger.js';
import { KlingAdapter, LIST_PAGE_SIZE } from '../../../src/providers/kling/adapter.js';
import { externalTaskId } from '../../../src/queue/names.js';
import { UnsettledJobs } from '../../../src/queue/unsettled.js';
import { reconcile } from '../../../src/reconcile/reconciler.js';
import { connect, uniquePrefix } from '../../helpers/redis.js';

// A task created while the list is read shifts the pages by one: the last task of page 1 shows
// again on page 2. Reconciliation must count it once, or it would charge the job twice.
const task = (i: number, ext: string) => ({ task_id: `t${i}`, task_status: 'succeed', task_info: { external_task_id: ext }, final_unit_deduction: '0.35', created_at: 1, task_result: { videos: [] } });
const app = Fastify();
let url = '';
beforeAll(async () => {
  const page1 = Array.from({ length: LIST_PAGE_SIZE }, (_, i) => task(i, i === LIST_PAGE_SIZE - 1 ? externalTaskId('dup-1', 'kling-3.0') : `someone-else-${i}`));
  const page2 = [page1.at(-1)!]; // the same task again
  app.get('/v1/videos/:endpoint', async (req) => {
    const { endpoint } = req.params as { endpoint: string };
    const { pageNum } = req.query as { pageNum: string };
    const data = endpoint === 'text2video' ? (pageNum === '1' ? page1 : pageNum === '2' ? page2 : []) : [];
    return { code: 0, message: 'SUCCEED', request_id: 'r', data };
  });
  app.get('/v1/videos/:endpoint/:id', async (_req, reply) => reply.code(404).send({ code: 1203, message: 'not found', request_id: 'r' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(() => app.close());

it('a task listed twice (the pages shifted under the read) is one bill', async () => {
  const prefix = uniquePrefix('rcl');
  const redis = connect();
  const ledger = new Ledger({ redis, prefix });
  await ledger.setBudget({ team: 'd', project: 'p', limit: '10', period: 'monthly' });
  await ledger.reserve({ reservationId: 'dup-1', team: 'd', project: 'p', candidates: [{ cost: '0.35' }] });
  await ledger.commit({ reservationId: 'dup-1', actual: '0.35' });
  const provider = new KlingAdapter({ baseUrl: url, credentials: { apiKey: 'k' }, unitPrice: '1', retry: { attempts: 1 } });
  const report = await reconcile({ provider, ledger, unsettled: new UnsettledJobs(redis, prefix), generate: null as never, cardFor: (team, ref) => new PolicyCards(redis, prefix).load(team, ref), apply: true, log: pino({ level: 'silent' }) });
  expect(report).toMatchObject({ tasksRead: LIST_PAGE_SIZE + 1, jobs: 1, findings: [], settled: [] });
  await redis.quit();
});
