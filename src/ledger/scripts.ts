import { readFileSync } from 'node:fs';
import type { RedisConnection as Redis } from '../redis-connection.js';
import { scriptCommand } from '../redis-script.js';

// One Lua file per ledger operation.
export const SCRIPT_NAMES = ['reserve', 'commit', 'release', 'extend', 'top-up', 'expire-due', 'set-budget', 'get-budget', 'reconcile', 'reject'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const dir = new URL('./lua/', import.meta.url);
const INCLUDE = /^--@include (\S+)[ \t]*$/gm;

/**
 * Replaces each `--@include file.lua` line with that file, itself expanded first, so a helper is
 * defined before the code that calls it (Lua locals are visible only below their definition).
 * Each file is inlined once, where it is first needed; a later include of it is dropped.
 */
export function expandIncludes(source: string, read: (file: string) => string): string {
  const done = new Set<string>();
  const open: string[] = [];
  const expand = (text: string): string =>
    text.replace(INCLUDE, (_, file: string) => {
      if (open.includes(file)) throw new Error(`Lua include cycle: ${[...open, file].join(' -> ')}`);
      if (done.has(file)) return `-- (${file} included above)`;
      open.push(file);
      const body = expand(read(file));
      open.pop();
      done.add(file);
      return body.replace(/\n$/, '');
    });
  return expand(source);
}

/** A script's source with its includes (from lua/include/) expanded. */
export function scriptSource(name: ScriptName): string {
  const raw = readFileSync(new URL(`${name}.lua`, dir), 'utf8');
  return expandIncludes(raw, (file) => readFileSync(new URL(`include/${file}`, dir), 'utf8'));
}

/** Runs a script; most reply with JSON text, reserve with a flat array (see its header). */
export type ScriptRunner = (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<unknown>;

/** Defines every ledger script on this connection, once, and returns a way to call them by name. */
export function scriptRunner(redis: Redis): ScriptRunner {
  const calls = new Map(SCRIPT_NAMES.map((name) => [name, scriptCommand(redis, `vidgate_${name.replace('-', '_')}`, scriptSource(name))]));
  return (name, keys, args) => calls.get(name)!(keys, args);
}
