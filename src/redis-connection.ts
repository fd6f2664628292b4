import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { DEFAULTS } from './defaults.js';
import { InputError } from './errors.js';

/** One Redis server or a Redis Cluster: every module that talks to Redis takes either. */
export type RedisConnection = Redis | Cluster;

/** A cluster's seed nodes: the client learns every other node (and every failover) from them. */
export interface ClusterTarget {
  clusterNodes: { host: string; port: number }[];
}

/** Where Redis is: one server's URL (`redis://…`, `rediss://…`), or a cluster's seed nodes. */
export type RedisTarget = string | ClusterTarget;

export function isClusterTarget(target: RedisTarget): target is ClusterTarget {
  return typeof target !== 'string';
}

/** A target to connect to, as opposed to a connection already made. */
export function isRedisTarget(x: RedisConnection | RedisTarget): x is RedisTarget {
  return typeof x === 'string' || Array.isArray((x as Partial<ClusterTarget>).clusterNodes);
}

export function isCluster(redis: RedisConnection): redis is Cluster {
  return redis instanceof Cluster;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/**
 * `host:port,host:port,…` (the form of REDIS_CLUSTER_NODES and --redis-cluster) as seed nodes;
 * an IPv6 host goes in brackets (`[::1]:7000`). `where` names the flag or variable in errors.
 */
export function parseClusterNodes(text: string, where: string): ClusterTarget {
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length === 0 || entries.some((e) => e === '')) {
    throw new InputError(`${where}: expected host:port,host:port,… (one or more cluster nodes, comma-separated), got "${text}"`, { where });
  }
  if (entries.length > 1000) throw new InputError(`${where}: at most 1000 nodes, got ${entries.length}`, { where });
  const clusterNodes = entries.map((entry) => {
    const at = entry.lastIndexOf(':');
    const host = at > 0 ? entry.slice(0, at) : '';
    const portText = at > 0 ? entry.slice(at + 1) : '';
    if (!host || !HOST.test(host) || host.length > 253) {
      throw new InputError(`${where}: "${entry}" is not host:port (a host name, an IPv4 address or a bracketed IPv6 address, then a port)`, { where });
    }
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new InputError(`${where}: "${entry}" has no port from 1 to 65535`, { where });
    return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
  });
  return { clusterNodes };
}

/** Where Redis is, from the flags a command took and the environment. */
export interface RedisFlagsLike {
  redis?: string;
  redisCluster?: string;
}

/**
 * The flags win over the environment; a cluster (--redis-cluster, REDIS_CLUSTER_NODES) over one
 * server (REDIS_URL) at the same level, and both flags at once are refused: they say different things.
 */
export function redisTargetFrom(flags: RedisFlagsLike = {}, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  if (flags.redis !== undefined && flags.redisCluster !== undefined) {
    throw new InputError('--redis and --redis-cluster exclude each other: one server by URL, or a cluster by its nodes');
  }
  if (flags.redisCluster !== undefined) return parseClusterNodes(flags.redisCluster, '--redis-cluster');
  if (flags.redis !== undefined) return flags.redis;
  if (env.REDIS_CLUSTER_NODES) return parseClusterNodes(env.REDIS_CLUSTER_NODES, 'REDIS_CLUSTER_NODES');
  return env.REDIS_URL ?? DEFAULTS.redisUrl;
}

/** Hides a password in a URL before it is printed. */
export function safeUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/** The target as it may be printed: no password. */
export function describeTarget(target: RedisTarget): string {
  return isClusterTarget(target) ? `Redis Cluster ${target.clusterNodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',')}` : `Redis at ${safeUrl(target)}`;
}

/** A second connection like `redis` (a blocking reader or a subscriber needs its own), of the same kind. */
export function duplicateConnection(redis: RedisConnection, extra: RedisOptions = {}): RedisConnection {
  return isCluster(redis) ? redis.duplicate(undefined, { redisOptions: { ...redis.options.redisOptions, ...extra } }) : redis.duplicate(extra);
}

/**
 * Options a cluster needs beyond each node's: how long to ride out a failover. While a master's
 * replica takes over (a few node timeouts), commands for its slots are retried, not failed.
 */
const CLUSTER_DEFAULTS: ClusterOptions = {
  retryDelayOnFailover: DEFAULTS.clusterRetryDelayMs,
  retryDelayOnClusterDown: DEFAULTS.clusterRetryDelayMs,
  retryDelayOnTryAgain: DEFAULTS.clusterRetryDelayMs,
  maxRedirections: DEFAULTS.clusterMaxRedirections,
};

/**
 * A connection to the target: `node` applies to one server, or to each node of a cluster;
 * `cluster` only to a cluster (its retry and startup rules).
 */
export function openConnection(target: RedisTarget, node: RedisOptions = {}, cluster: ClusterOptions = {}): RedisConnection {
  if (!isClusterTarget(target)) return new Redis(target, node);
  // No auto-pipelining on a cluster: ioredis groups a script call by its first argument, which
  // for a defined command is the key count, not a key, and mixes slots in one pipeline
  // ("All keys in the pipeline should belong to the same slots allocation group", ioredis #2109).
  const { enableAutoPipelining: _notOnACluster, enableReadyCheck, lazyConnect, ...perNode } = node;
  return new Cluster(target.clusterNodes, {
    ...CLUSTER_DEFAULTS,
    ...(enableReadyCheck !== undefined ? { enableReadyCheck } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    ...cluster,
    redisOptions: perNode,
  });
}

/**
 * The prefix of BullMQ's keys. A BullMQ queue's scripts touch many of its keys at once, which a
 * cluster allows only within one slot: there the prefix is hash-tagged (`{vidgate}`), BullMQ's own
 * advice, so every queue of the prefix lives in one slot. One server keeps the plain prefix, so a
 * deployment that moves to a cluster starts with new, empty queues (the ledger's keys do not change).
 */
export function queuePrefix(prefix: string, redis: RedisConnection | RedisTarget): string {
  const cluster = isRedisTarget(redis) ? isClusterTarget(redis) : isCluster(redis);
  if (!cluster) return prefix;
  if (/[{}]/.test(prefix)) {
    throw new InputError(`key prefix "${prefix}" has { or }: on a cluster vidgate adds the hash tags itself ({prefix} for the queues, {team} for the ledger)`, { where: 'prefix' });
  }
  return `{${prefix}}`;
}

/**
 * Every key matching `pattern`: SCAN on one server, SCAN on each master of a cluster (a cluster's
 * SCAN would see only the node it reached). For tools and tests, not the hot path.
 */
export async function scanKeys(redis: RedisConnection, pattern: string, onBatch: (node: Redis, keys: string[]) => Promise<void>): Promise<void> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await onBatch(node, keys);
    } while (cursor !== '0');
  }
}

/** Deletes every key matching `pattern`, one key per command (a cluster refuses DEL across slots). */
export async function deleteMatching(redis: RedisConnection, pattern: string): Promise<number> {
  let deleted = 0;
  await scanKeys(redis, pattern, async (node, keys) => {
    const replies = await node.pipeline(keys.map((k) => ['unlink', k])).exec();
    for (const [err] of replies ?? []) if (err) throw err;
    deleted += keys.length;
  });
  return deleted;
}
