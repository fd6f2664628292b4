import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisConnection as Redis } from '../redis-connection.js';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { Name } from '../names.js';
import { parseOrThrow } from '../validation.js';

export const KeyRole = z.enum(['submit', 'manage', 'admin']);
export type KeyRole = z.infer<typeof KeyRole>;

/** What is kept of a key: never the key, only its SHA-256. */
export const StoredKey = z.strictObject({
  id: z.string(),
  team: Name.nullable(),
  role: KeyRole,
  name: z.string(),
  createdAt: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type StoredKey = z.infer<typeof StoredKey>;
export type KeyInfo = Omit<StoredKey, 'sha256'>;

export const NewKey = z.strictObject({
  team: Name.optional(),
  role: KeyRole,
  name: z.string().max(100).regex(/^[^\u0000-\u001f]*$/, 'no control characters').default(''),
});

// vgk_<12 hex id>_<43 base64url>: the id finds the record, the whole key is compared by hash.
const KEY_FORMAT = /^vgk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Compares two secrets in constant time (their hashes, so lengths never leak either). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * API keys in Redis: one hash field per key id, holding the key's SHA-256 and its team and role.
 * Every request reads the record (no cache), so a revoked key stops working at once on every host.
 */
export class KeyStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:apikeys`;
  }

  /** Creates a key; the key itself is in the answer only, never stored. */
  async create(input: z.input<typeof NewKey>): Promise<{ key: string; info: KeyInfo }> {
    const k = parseOrThrow(NewKey, input, 'key');
    if (k.role === 'admin' && k.team !== undefined) throw new InputError('an admin key has no team (it acts for every team)', { where: '--team' });
    if (k.role !== 'admin' && k.team === undefined) throw new InputError(`a ${k.role} key needs --team`, { where: '--team' });
    const id = randomBytes(6).toString('hex');
    const key = `vgk_${id}_${randomBytes(32).toString('base64url')}`;
    const stored: StoredKey = { id, team: k.team ?? null, role: k.role, name: k.name, createdAt: new Date().toISOString(), sha256: sha256(key).toString('hex') };
    if (!(await this.redis.hsetnx(this.key, id, JSON.stringify(stored)))) return this.create(input); // 48-bit id taken: draw again
    const { sha256: _, ...info } = stored;
    return { key, info };
  }

  /** The key's record if `presented` is a live key, else null (malformed, unknown, revoked or wrong). */
  async verify(presented: string): Promise<KeyInfo | null> {
    const m = KEY_FORMAT.exec(presented);
    if (!m) return null;
    const text = await this.redis.hget(this.key, m[1]!);
    if (!text) return null;
    const stored = StoredKey.parse(JSON.parse(text));
    if (!timingSafeEqual(sha256(presented), Buffer.from(stored.sha256, 'hex'))) return null;
    const { sha256: _, ...info } = stored;
    return info;
  }

  /** Whether the key of this id is still there (not revoked): dashboard sessions are bound to it. */
  async exists(id: string): Promise<boolean> {
    return /^[0-9a-f]{12}$/.test(id) && (await this.redis.hexists(this.key, id)) === 1;
  }

  async list(): Promise<KeyInfo[]> {
    const all = await this.redis.hvals(this.key);
    return all
      .map((t) => {
        const { sha256: _, ...info } = StoredKey.parse(JSON.parse(t));
        return info;
      })
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes a key at once; false if there was no such key. */
  async revoke(id: string): Promise<boolean> {
    if (!/^[0-9a-f]{12}$/.test(id)) throw new InputError(`not a key id: ${JSON.stringify(id.slice(0, 40))}`, { where: 'ID', allowed: '12 hex digits, as `vidgate keys list` shows' });
    return (await this.redis.hdel(this.key, id)) === 1;
  }
}
