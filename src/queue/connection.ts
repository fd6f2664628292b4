import type { RedisOptions } from 'ioredis';
import { DEFAULTS } from '../defaults.js';
import { InputError, UnavailableError } from '../errors.js';
import { describeTarget, isCluster, isClusterTarget, openConnection, redisTargetFrom, safeUrl, type RedisConnection, type RedisFlagsLike, type RedisTarget } from '../redis-connection.js';

export { describeTarget, queuePrefix, safeUrl, type RedisConnection, type RedisTarget } from '../redis-connection.js';

export const DEFAULT_REDIS_URL = DEFAULTS.redisUrl;

/** Where Redis is: --redis-cluster / --redis, else REDIS_CLUSTER_NODES / REDIS_URL, else the default. */
export function redisTargetFromEnv(flags: RedisFlagsLike = {}): RedisTarget {
  return redisTargetFrom(flags, process.env);
}

/**
 * A connection for long-running workers: BullMQ needs maxRetriesPerRequest null, and commands
 * wait through a Redis restart instead of failing, so nothing is lost while it is away.
 */
export function workerConnection(target: RedisTarget, extra: RedisOptions = {}): RedisConnection {
  return quietOnReconnect(openConnection(target, { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }));
}

/**
 * A dropped connection is reported to every command that was waiting on it, and ioredis
 * reconnects by itself; without a listener it would also print each socket error to stderr.
 */
export function quietOnReconnect<R extends RedisConnection>(redis: R): R {
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
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code ?? '') || err.message === 'Connection is closed.') return true;
  // A cluster between a master's loss and its replica's takeover, or with no node answering.
  return /^(CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available)/.test(err.message);
}

export type ConnectionReport = (state: 'down' | 'up', line: string) => void;

/** One line per state change of `redis` (unreachable, reconnected), not one per retry. */
export function reportConnection<R extends RedisConnection>(redis: R, target: RedisTarget, report: ConnectionReport): R {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    report('down', `${describeTarget(target)} unreachable (${err.message}), retrying`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    report('up', `${describeTarget(target)} reconnected`);
  });
  return redis;
}

/**
 * ioredis selects the URL's database on connect but goes on in database 0 when Redis refuses it
 * (`/99` where there are 16): selecting it again here makes that an error before anything is written.
 */
async function checkDatabase(redis: RedisConnection, url: string): Promise<void> {
  if (isCluster(redis)) return;
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
 * instead of retrying forever. A cluster must also say its state is ok (every slot served).
 */
export async function cliConnection(target: RedisTarget): Promise<RedisConnection> {
  const redis = openConnection(
    target,
    { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, retryStrategy: (times) => (times > 2 ? null : 200) },
    { clusterRetryStrategy: (times) => (times > 2 ? null : 200), maxRedirections: 16 },
  );
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err)); // reported by the awaited connect below
  try {
    await redis.connect();
    await redis.ping();
    if (isCluster(redis)) await checkClusterState(redis);
    if (!isClusterTarget(target)) await checkDatabase(redis, target);
  } catch (err) {
    redis.disconnect();
    if (err instanceof InputError || err instanceof UnavailableError) throw err;
    const how = isClusterTarget(target)
      ? 'Start one (see "Redis Cluster" in the README) or pass --redis-cluster host:port,… / set REDIS_CLUSTER_NODES.'
      : 'Start one (redis-server, or docker compose up -d redis) or pass --redis URL / set REDIS_URL.';
    throw new UnavailableError(`cannot reach ${describeTarget(target)} (${(lastError ?? (err as Error)).message}). ${how}`);
  }
  return redis;
}

/** A cluster that answers but does not serve every slot would fail some teams' commands only. */
async function checkClusterState(redis: RedisConnection): Promise<void> {
  const info = String(await redis.cluster('INFO'));
  const state = /cluster_state:(\w+)/.exec(info)?.[1];
  if (state !== 'ok') throw new UnavailableError(`the Redis Cluster is not ready (cluster_state:${state ?? 'unknown'}): some slots have no master; wait for the failover or fix the cluster`);
}
