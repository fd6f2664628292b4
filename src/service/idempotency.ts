import { createHash } from 'node:crypto';
import type { RedisConnection as Redis } from '../redis-connection.js';
import { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { ServiceError } from './errors.js';

/** The header's value: printable ASCII, as the IETF draft's examples (a UUID is typical). */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'use 1-255 printable ASCII characters (a UUID is typical)');

const Entry = z.discriminatedUnion('state', [
  z.object({ state: z.literal('in-flight'), digest: z.string() }),
  z.object({ state: z.literal('done'), digest: z.string(), status: z.number().int(), body: z.unknown() }),
]);

export type Begun = { replay: { status: number; body: unknown } } | { finish: (status: number, body: unknown) => Promise<void>; abandon: () => Promise<void> };

/**
 * Idempotency-Key (IETF draft "The Idempotency-Key HTTP Header Field"), per team: the first
 * request with a key runs and its answer is kept (DEFAULTS.idempotencyRetentionMs); the same key
 * with the same body gets that answer again; with another body, 422; while the first is still
 * running, 409. A request that fails with an error frees the key, so it may be tried again.
 * The caller's key is hashed into the Redis key, under the team's hash tag.
 */
export class Idempotency {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async begin(team: string, rawKey: string, request: unknown): Promise<Begun> {
    const parsed = IdempotencyKey.safeParse(rawKey);
    if (!parsed.success) throw new ServiceError(400, 'invalid-request', `Idempotency-Key: ${parsed.error.issues[0]!.message}`, { field: 'idempotency-key', allowed: '1-255 printable ASCII characters' });
    const key = `${this.prefix}:{${team}}:idem:${createHash('sha256').update(rawKey).digest('hex')}`;
    const digest = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const mine = JSON.stringify({ state: 'in-flight', digest });
    if ((await this.redis.set(key, mine, 'PX', DEFAULTS.idempotencyInFlightMs, 'NX')) !== 'OK') {
      const text = await this.redis.get(key);
      if (text !== null) {
        const held = Entry.parse(JSON.parse(text));
        if (held.digest !== digest) throw new ServiceError(422, 'idempotency-key-reused', 'this Idempotency-Key was used with another request body', { field: 'idempotency-key', allowed: 'a new key for a new request' });
        if (held.state === 'in-flight') throw new ServiceError(409, 'idempotency-key-in-flight', 'a request with this Idempotency-Key is still being processed: retry later', { field: 'idempotency-key' });
        return { replay: { status: held.status, body: held.body } };
      }
      // Expired between the two calls: take it now.
      return this.begin(team, rawKey, request);
    }
    return {
      finish: async (status, body) => {
        await this.redis.set(key, JSON.stringify({ state: 'done', digest, status, body }), 'PX', DEFAULTS.idempotencyRetentionMs);
      },
      abandon: async () => {
        await this.redis.del(key);
      },
    };
  }
}
