import { createHash, randomBytes } from 'node:crypto';
import type { RedisConnection } from '../../redis-connection.js';
import { z } from 'zod';
import { DEFAULTS } from '../../defaults.js';
import { Name } from '../../names.js';
import type { KeyStore } from '../keys.js';
import { sameSecret } from '../keys.js';

/**
 * What a dashboard session holds: who signed in (the key's id, never the key), for which team,
 * and the CSRF token its forms carry. Kept in Redis under the SHA-256 of the session id, so a
 * copy of the database names no live cookie.
 */
export const Session = z.strictObject({
  keyId: z.string(),
  team: Name.nullable(),
  csrf: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  /** For the admin key of VIDGATE_ADMIN_KEY: its SHA-256, so changing that key ends the session. */
  adminSha: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type Session = z.infer<typeof Session>;

const SID = /^[A-Za-z0-9_-]{43}$/;
const sha256hex = (text: string) => createHash('sha256').update(text).digest('hex');

export class Sessions {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly keys: KeyStore,
    private readonly adminKey: string | undefined,
    private readonly ttlMs: number = DEFAULTS.dashboardSessionMs,
  ) {}

  private key(sid: string): string {
    return `${this.prefix}:dashboard:session:${sha256hex(sid)}`;
  }

  /** Signs in with an API key: a new session id, or null if the key is not live. */
  async create(presented: string): Promise<{ sid: string; session: Session } | null> {
    let session: Session;
    const csrf = randomBytes(32).toString('base64url');
    if (this.adminKey && sameSecret(presented, this.adminKey)) {
      session = { keyId: 'env', team: null, csrf, adminSha: sha256hex(this.adminKey) };
    } else {
      const info = await this.keys.verify(presented);
      if (!info) return null;
      session = { keyId: info.id, team: info.role === 'admin' ? null : info.team, csrf };
    }
    const sid = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(sid), JSON.stringify(session), 'PX', this.ttlMs);
    return { sid, session };
  }

  /**
   * The live session of a cookie, or null: unknown, expired, or its key revoked since (looked up
   * on every request, as the API does for keys, so a revoke ends every session at once).
   */
  async get(sid: string | undefined): Promise<Session | null> {
    if (!sid || !SID.test(sid)) return null;
    const text = await this.redis.get(this.key(sid));
    if (!text) return null;
    const parsed = Session.safeParse(JSON.parse(text));
    if (!parsed.success) return null;
    const s = parsed.data;
    const live = s.keyId === 'env' ? this.adminKey !== undefined && s.adminSha === sha256hex(this.adminKey) : await this.keys.exists(s.keyId);
    if (!live) {
      await this.redis.del(this.key(sid));
      return null;
    }
    return s;
  }

  async end(sid: string | undefined): Promise<void> {
    if (sid && SID.test(sid)) await this.redis.del(this.key(sid));
  }
}
