import { Option, type Command } from 'commander';
import { DEFAULTS } from '../defaults.js';

/** The connection flags every command that talks to Redis takes: declared here once. */
export interface RedisFlags {
  redis?: string;
  redisCluster?: string;
  prefix: string;
}

export function withRedisOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--redis <url>', `Redis URL (default: $REDIS_URL or ${DEFAULTS.redisUrl})`))
    .addOption(new Option('--redis-cluster <nodes>', 'a Redis Cluster instead: host:port,host:port,… (default: $REDIS_CLUSTER_NODES, which wins over $REDIS_URL)'))
    .addOption(new Option('--prefix <prefix>', 'key prefix').default(DEFAULTS.prefix).hideHelp());
}
