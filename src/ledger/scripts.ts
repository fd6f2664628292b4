import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

// One Lua file per ledger operation. ioredis' defineCommand runs each by EVALSHA and falls back to
// EVAL (which loads it) on NOSCRIPT, e.g. after a Redis restart or failover.
export const SCRIPT_NAMES = ['reserve', 'commit', 'release', 'extend', 'top-up', 'expire-due', 'set-budget'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const dir = new URL('./lua/', import.meta.url);

/** A script's source with `--@include file.lua` lines replaced by that file (shared pieces). */
export function scriptSource(name: ScriptName): string {
  const raw = readFileSync(new URL(`${name}.lua`, dir), 'utf8');
  return raw.replace(/^--@include (\S+)$/m, (_, file: string) => readFileSync(new URL(`include/${file}`, dir), 'utf8'));
}

const commandName = (name: ScriptName) => `vidgate_${name.replace('-', '_')}`;

/** Runs a script; most reply with JSON text, reserve with a flat array (see its header). */
export type ScriptRunner = (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<string>;

/** Defines every ledger script on this connection, once, and returns a typed way to call them. */
export function scriptRunner(redis: Redis): ScriptRunner {
  const defined = redis as unknown as Record<string, unknown>;
  for (const name of SCRIPT_NAMES) {
    if (typeof defined[commandName(name)] !== 'function') redis.defineCommand(commandName(name), { lua: scriptSource(name) });
  }
  return (name, keys, args) => {
    const fn = defined[commandName(name)] as (numKeys: number, ...rest: (string | number)[]) => Promise<string>;
    return fn.call(redis, keys.length, ...keys, ...args);
  };
}
