import { expect, it } from 'vitest';
import type { JobView } from '../../../src/queue/client.js';
import { stateOf } from '../../../src/service/job-view.js';

const view = (over: Partial<JobView>): JobView => ({ id: 'a', team: 't', internalId: 'j', project: 'p', intake: 'waiting', decision: null, generate: null, result: null, data: null, standing: null, ...over });
const decided = (outcome: 'admit' | 'reject') => ({ outcome }) as JobView['decision'];
const ended = (state: 'completed' | 'failed') => ({ state }) as JobView['result'];

it('derives the API state from the queue records and the cancel claim', () => {
  expect(stateOf(view({}), null)).toBe('queued');
  expect(stateOf(view({ intake: 'active' }), null)).toBe('deciding');
  expect(stateOf(view({ intake: 'completed', decision: decided('reject') }), null)).toBe('rejected');
  expect(stateOf(view({ intake: 'completed', decision: decided('admit'), generate: 'waiting' }), null)).toBe('admitted');
  expect(stateOf(view({ intake: 'completed', decision: decided('admit'), generate: 'active' }), null)).toBe('generating');
  expect(stateOf(view({ intake: 'completed', decision: decided('admit'), generate: 'completed', result: ended('completed') }), null)).toBe('completed');
  expect(stateOf(view({ intake: 'completed', decision: decided('admit'), generate: 'completed', result: ended('failed') }), null)).toBe('failed');
});

it('a cancel shows unless the job completed at the provider anyway', () => {
  expect(stateOf(view({}), 'cancelled')).toBe('cancelled');
  expect(stateOf(view({ decision: decided('admit'), generate: 'completed', result: ended('failed') }), 'cancelled')).toBe('cancelled');
  expect(stateOf(view({ decision: decided('admit'), generate: 'completed', result: ended('completed') }), 'cancelled')).toBe('completed');
  expect(stateOf(view({ decision: decided('admit'), generate: 'active' }), 'sent')).toBe('generating');
});
