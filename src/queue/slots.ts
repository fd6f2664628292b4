import { readFileSync } from 'node:fs';
import type { RedisConnection as Redis } from '../redis-connection.js';
import { DEFAULTS } from '../defaults.js';
import { scriptCommand, type ScriptCall } from '../redis-script.js';

const ACQUIRE = readFileSync(new URL('./lua/acquire-slot.lua', import.meta.url), 'utf8');

/**
 * Bounds each model's concurrent provider tasks across every worker process, so that jobs wait in
 * the queue instead of running into the provider's concurrency error.
 */
export class ModelSlots {
  private readonly acquireSlot: ScriptCall;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: (model: string) => number,
    private readonly leaseMs = DEFAULTS.slotLeaseMs,
  ) {
    this.acquireSlot = scriptCommand(redis, 'vidgateAcquireSlot', ACQUIRE);
  }

  private key(model: string): string {
    return `${this.prefix}:slots:{${model}}`;
  }

  /** Takes (or refreshes) the holder's slot; false when the model is at its limit. */
  async acquire(model: string, holder: string): Promise<boolean> {
    return (await this.acquireSlot([this.key(model)], [holder, Date.now(), this.leaseMs, this.limits(model)])) === 1;
  }

  async release(model: string, holder: string): Promise<void> {
    await this.redis.zrem(this.key(model), holder);
  }
}
