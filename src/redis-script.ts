import type { RedisConnection as Redis } from './redis-connection.js';

/** Runs one Lua script with its keys and arguments. */
export type ScriptCall = (keys: string[], args: (string | number)[]) => Promise<unknown>;

/**
 * A Lua script as a command on this connection, defined once per connection: ioredis runs it by
 * EVALSHA and falls back to EVAL (which loads it) on NOSCRIPT, e.g. after a Redis restart.
 */
export function scriptCommand(redis: Redis, name: string, lua: string): ScriptCall {
  const commands = redis as unknown as Record<string, (numKeys: number, keys: string[], args: (string | number)[]) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { lua });
  // ioredis flattens a command's arguments one level: the arrays go as they are, not spread
  // into a call (each spread copies them, for every call of every script).
  return (keys, args) => commands[name]!.call(redis, keys.length, keys, args);
}
