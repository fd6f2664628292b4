import type { TestProject } from 'vitest/node';
import { redisCliInstalled, startRedisCluster } from '../../scripts/redis-cluster.js';
import { redisServerInstalled } from '../../scripts/redis-server.js';
import { parseClusterNodes } from '../../src/redis-connection.js';

/**
 * The Redis Cluster the "cluster" project's tests use: REDIS_CLUSTER_NODES if set; else a private
 * cluster of 3 masters and 3 replicas this run starts (and stops). Tests never flush it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.REDIS_CLUSTER_NODES) {
    project.provide('redisTarget', parseClusterNodes(process.env.REDIS_CLUSTER_NODES, 'REDIS_CLUSTER_NODES'));
    return async () => {};
  }
  if (!redisServerInstalled() || !redisCliInstalled()) {
    throw new Error('the cluster tests need redis-server and redis-cli (apt-get install redis-server and redis-tools), or REDIS_CLUSTER_NODES=host:port,… of a cluster to use');
  }
  const cluster = await startRedisCluster();
  project.provide('redisTarget', cluster.target);
  return () => cluster.stop();
}
