import { describe, expect, it } from 'vitest';
import { allowPrivateFromEnv } from '../../../src/webhooks/api.js';
import { workerConfig } from '../../../src/cli/worker.js';
import { finishedJob, fieldsOf, resolution, thresholdEvent, type OpenThreshold } from '../../../src/webhooks/events.js';

const open: OpenThreshold = { scope: 'project', name: 'p', window: '2026-11', threshold: '0.8', limit: '100.00' };

describe('when a fired threshold is over', () => {
  it.each([
    [{ window: '2026-12', limit: '100.00', spent: '95', reserved: '0' }, 'new-window'],
    [{ window: '2026-11', limit: '200.00', spent: '100', reserved: '50' }, 'limit-raised'],
    [{ window: '2026-11', limit: '200.00', spent: '100', reserved: '60' }, null], // 160 = 0.8 × 200: still at it
    [{ window: '2026-11', limit: '100.00', spent: '10', reserved: '0' }, null], // spending fell, the limit did not rise
    [{ window: '2026-11', limit: '50.00', spent: '10', reserved: '0' }, null],
  ] as const)('%o → %s', (now, expected) => {
    expect(resolution(open, now)).toBe(expected);
  });
});

describe('reading the sources', () => {
  it('takes finished jobs with vidgate ids only', () => {
    const id = `j${'a'.repeat(25)}`;
    expect(finishedJob(fieldsOf(['event', 'completed', 'jobId', id, 'returnvalue', '{}']))).toEqual({ jobId: id, completed: true });
    expect(finishedJob(fieldsOf(['event', 'failed', 'jobId', id]))).toEqual({ jobId: id, completed: false });
    expect(finishedJob(fieldsOf(['event', 'active', 'jobId', id]))).toBeNull();
    expect(finishedJob(fieldsOf(['event', 'completed', 'jobId', '__proto__']))).toBeNull();
  });

  it('turns an alert entry into budget.threshold with the share of the limit, and ignores a malformed one', () => {
    const entry = { id: '1764201600000-0', op: 'alert', at: 0, fields: { op: 'alert', scope: 'team', name: 'a', window: '2026-11', threshold: '750000', limit: '10.00', spent: '7.00', reserved: '0.50' } };
    expect(thresholdEvent('a', entry)).toMatchObject({ event: { id: 'msg_audit_a_1764201600000-0', payload: { type: 'budget.threshold', data: { threshold: '0.75', limit: '10.00' } } } });
    expect(thresholdEvent('a', { ...entry, fields: { ...entry.fields, threshold: '0.75' } })).toBeNull();
    expect(thresholdEvent('a', { ...entry, op: 'reserve' })).toBeNull();
  });
});

describe('the development setting', () => {
  it('is off unless VIDGATE_WEBHOOKS_ALLOW_PRIVATE or the worker flag says so; a bad value is an error', () => {
    expect(allowPrivateFromEnv({})).toBe(false);
    expect(allowPrivateFromEnv({ VIDGATE_WEBHOOKS_ALLOW_PRIVATE: '1' })).toBe(true);
    expect(allowPrivateFromEnv({ VIDGATE_WEBHOOKS_ALLOW_PRIVATE: 'false' })).toBe(false);
    expect(() => allowPrivateFromEnv({ VIDGATE_WEBHOOKS_ALLOW_PRIVATE: 'yes please' })).toThrow(/VIDGATE_WEBHOOKS_ALLOW_PRIVATE="yes please" is not a switch/);
    const flags = { policies: 'p', prefix: 'vidgate', routerOnly: true };
    expect(workerConfig(flags, {}).webhooks).toEqual({ allowPrivate: false });
    expect(workerConfig({ ...flags, webhooksAllowPrivate: true }, {}).webhooks).toEqual({ allowPrivate: true });
    expect(workerConfig(flags, { VIDGATE_WEBHOOKS_ALLOW_PRIVATE: '1' }).webhooks).toEqual({ allowPrivate: true });
  });
});
