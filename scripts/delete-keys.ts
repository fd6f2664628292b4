import { Redis } from 'ioredis';

/** Deletes every key under a prefix that this run wrote (the demo's and the benchmarks' own). */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== '0');
  await r.quit();
}
