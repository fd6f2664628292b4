import { deleteMatching, openConnection, type RedisTarget } from '../src/redis-connection.js';

/** Deletes every key under a prefix that this run wrote (the demo's and the benchmarks' own), on each master of a cluster. */
export async function deleteKeysWithPrefix(target: RedisTarget, prefix: string): Promise<void> {
  const r = openConnection(target);
  try {
    await deleteMatching(r, `${prefix}*`);
  } finally {
    await r.quit();
  }
}
