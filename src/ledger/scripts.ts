import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { scriptCommand } from '../redis-script.js';

// One Lua file per ledger operation.
export const SCRIPT_NAMES = ['reserve', 'commit', 'release', 'extend', 'top-up', 'expire-due', 'set-budget'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const dir = new URL('./lua/', import.meta.url);

/** A script's source with `--@include file.lua` lines replaced by that file (shared pieces). */
export function scriptSource(name: ScriptName): string {
  const raw = readFileSync(new URL(`${name}.lua`, dir), 'utf8');
  return raw.replace(/^--@include (\S+)$/m, (_, file: string) => readFileSync(new URL(`include/${file}`, dir), 'utf8'));
}

/** Runs a script; most reply with JSON text, reserve with a flat array (see its header). */
export type ScriptRunner = (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<string>;

/** Defines every ledger script on this connection, once, and returns a typed way to call them. */
export function scriptRunner(redis: Redis): ScriptRunner {
  const calls = new Map(SCRIPT_NAMES.map((name) => [name, scriptCommand(redis, `vidgate_${name.replace('-', '_')}`, scriptSource(name))]));
  return (name, keys, args) => calls.get(name)!(keys, args) as Promise<string>;
}
