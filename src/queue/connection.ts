import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULTS } from '../defaults.js';
import { InputError, UnavailableError } from '../errors.js';

export const DEFAULT_REDIS_URL = DEFAULTS.redisUrl;

export function redisUrlFromEnv(flag?: string): string {
  return flag ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
}

/** Hides a password in a URL before it is printed. */
export function safeUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/**
 * A connection for long-running workers: BullMQ needs maxRetriesPerRequest null, and commands
 * wait through a Redis restart instead of failing, so nothing is lost while it is away.
 */
export function workerConnection(url: string, extra: RedisOptions = {}): Redis {
  return quietOnReconnect(new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }));
}

/**
 * A dropped connection is reported to every command that was waiting on it, and ioredis
 * reconnects by itself; without a listener it would also print each socket error to stderr.
 */
export function quietOnReconnect(redis: Redis): Redis {
  redis.on('error', () => {});
  return redis;
}

/**
 * BullMQ's queues and workers re-emit their connections' errors, and print each one's stack when
 * no one listens: while Redis is away that is a stack per retry. The connection's reporter says
 * it once instead.
 */
export function quietErrors<T extends { on(event: 'error', f: (err: Error) => void): unknown }>(emitter: T): T {
  emitter.on('error', () => {});
  return emitter;
}

/** Whether an error is Redis being away (which a reporter says once), not a fault of its own. */
export function isConnectionError(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code ?? '') || err.message === 'Connection is closed.';
}

export type ConnectionReport = (state: 'down' | 'up', line: string) => void;

/** One line per state change of `redis` (unreachable, reconnected), not one per retry. */
export function reportConnection(redis: Redis, url: string, report: ConnectionReport): Redis {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    report('down', `Redis at ${safeUrl(url)} unreachable (${err.message}), retrying`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    report('up', `Redis at ${safeUrl(url)} reconnected`);
  });
  return redis;
}

/**
 * ioredis selects the URL's database on connect but goes on in database 0 when Redis refuses it
 * (`/99` where there are 16): selecting it again here makes that an error before anything is written.
 */
async function checkDatabase(redis: Redis, url: string): Promise<void> {
  const db = redis.options.db ?? 0;
  if (db === 0) return;
  try {
    await redis.select(db);
  } catch (err) {
    throw new InputError(`Redis at ${safeUrl(url)} has no database ${db} (${(err as Error).message}); a URL's database is a number from 0 to the server's "databases" setting minus 1 (16 by default)`);
  }
}

/**
 * A connection for a command a person runs: it fails fast with a message that says what to start
 * instead of retrying forever.
 */
export async function cliConnection(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > 2 ? null : 200),
  });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err)); // reported by the awaited connect below
  try {
    await redis.connect();
    await redis.ping();
    await checkDatabase(redis, url);
  } catch (err) {
    if (err instanceof InputError) {
      redis.disconnect();
      throw err;
    }
    redis.disconnect();
    throw new UnavailableError(
      `cannot reach Redis at ${safeUrl(url)} (${(lastError ?? (err as Error)).message}). Start one (redis-server, or docker compose up -d redis) or pass --redis URL / set REDIS_URL.`,
    );
  }
  return redis;
}
