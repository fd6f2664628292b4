import type { TestProject } from 'vitest/node';
import { redisServerInstalled, startRedisServer } from '../../scripts/redis-server.js';
import type { RedisTarget } from '../../src/redis-connection.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisTarget: RedisTarget;
  }
}

/**
 * The Redis every test uses: REDIS_URL if set; else a redis-server this run starts (and stops);
 * else a container, where a Docker engine exists. Tests never flush it: each uses its own prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.REDIS_URL) {
    project.provide('redisTarget', process.env.REDIS_URL);
    return async () => {};
  }
  if (redisServerInstalled()) {
    const server = await startRedisServer();
    project.provide('redisTarget', server.url);
    return () => server.stop();
  }
  const { GenericContainer } = await import('testcontainers');
  const container = await new GenericContainer('redis:7-alpine')
    .withExposedPorts(6379)
    .start()
    .catch((err: Error) => {
      throw new Error(
        `the tests need a Redis: set REDIS_URL, or install redis-server (apt-get install redis-server), or run a Docker engine (${err.message})`,
      );
    });
  project.provide('redisTarget', `redis://${container.getHost()}:${container.getMappedPort(6379)}`);
  return async () => {
    await container.stop();
  };
}
