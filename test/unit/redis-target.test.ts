import { describe, expect, it } from 'vitest';
import { describeTarget, parseClusterNodes, queuePrefix, redisTargetFrom } from '../../src/redis-connection.js';

describe('where Redis is', () => {
  it('reads cluster nodes as host:port, IPv6 in brackets', () => {
    expect(parseClusterNodes('10.0.0.1:7000, redis-2.internal:7001,[::1]:7002', 'X')).toEqual({
      clusterNodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-2.internal', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
  });

  it.each([
    ['', 'expected host:port,host:port'],
    ['a:1,,b:2', 'expected host:port,host:port'],
    ['localhost', '"localhost" is not host:port'],
    ['localhost:0', 'no port from 1 to 65535'],
    ['localhost:70000', 'no port from 1 to 65535'],
    ['local host:1', 'is not host:port'],
    ['redis://h:1', 'is not host:port'],
  ])('refuses %j, saying what is wrong', (text, message) => {
    expect(() => parseClusterNodes(text, 'REDIS_CLUSTER_NODES')).toThrow(message);
    expect(() => parseClusterNodes(text, 'REDIS_CLUSTER_NODES')).toThrow('REDIS_CLUSTER_NODES');
  });

  it('flags win over the environment, a cluster over one server at the same level, never both flags', () => {
    const env = { REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'c:3' };
    expect(redisTargetFrom({}, {})).toBe('redis://127.0.0.1:6379');
    expect(redisTargetFrom({}, { REDIS_URL: 'redis://a:1' })).toBe('redis://a:1');
    expect(redisTargetFrom({}, env)).toEqual({ clusterNodes: [{ host: 'c', port: 3 }] });
    expect(redisTargetFrom({ redis: 'redis://b:2' }, env)).toBe('redis://b:2');
    expect(redisTargetFrom({ redisCluster: 'd:4' }, env)).toEqual({ clusterNodes: [{ host: 'd', port: 4 }] });
    expect(() => redisTargetFrom({ redis: 'redis://b:2', redisCluster: 'd:4' }, env)).toThrow('exclude each other');
  });

  it('prints no password, and tags the queue prefix only on a cluster', () => {
    expect(describeTarget('redis://user:secret@h:1/2')).toBe('Redis at redis://***@h:1/2');
    expect(describeTarget({ clusterNodes: [{ host: 'h', port: 1 }, { host: '::1', port: 2 }] })).toBe('Redis Cluster h:1,[::1]:2');
    expect(queuePrefix('vidgate', 'redis://h:1')).toBe('vidgate');
    expect(queuePrefix('vidgate', { clusterNodes: [{ host: 'h', port: 1 }] })).toBe('{vidgate}');
  });
});
