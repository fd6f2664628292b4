import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { isClusterTarget, openConnection, queuePrefix, type RedisConnection, type RedisTarget } from '../../src/redis-connection.js';

/** Where this run's Redis is: one server's URL, or (the cluster project) a cluster's nodes. */
export function redisTarget(): RedisTarget {
  return inject('redisTarget');
}

/** Whether this run's tests go to a Redis Cluster (the vitest project "cluster"). */
export function onCluster(): boolean {
  return isClusterTarget(redisTarget());
}

/** The URL of this run's single Redis; a test that needs one server (not a cluster) says so here. */
export function redisUrl(): string {
  const target = redisTarget();
  if (isClusterTarget(target)) throw new Error('this test needs one Redis server by URL; on a cluster use redisTarget(), connect() and redisEnv()');
  return target;
}

/** The environment that points a spawned vidgate process at this run's Redis. */
export function redisEnv(): { REDIS_URL: string } | { REDIS_CLUSTER_NODES: string } {
  const target = redisTarget();
  return isClusterTarget(target) ? { REDIS_CLUSTER_NODES: target.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',') } : { REDIS_URL: target };
}

/** A fresh name for a test's keys, so tests share one server without seeing each other. */
export function uniquePrefix(label = 't'): string {
  return `vgtest-${label}-${randomUUID().slice(0, 8)}`;
}

export function connect(target: RedisTarget = redisTarget()): RedisConnection {
  return openConnection(target, { maxRetriesPerRequest: null });
}

/** BullMQ's prefix for a test's key prefix on this run's Redis (hash-tagged on a cluster). */
export function bullPrefix(prefix: string): string {
  return queuePrefix(prefix, redisTarget());
}
