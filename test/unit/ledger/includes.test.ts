import { expect, it } from 'vitest';
import { expandIncludes, scriptSource, SCRIPT_NAMES } from '../../../src/ledger/scripts.js';

const files: Record<string, string> = {
  'fmt.lua': 'local function fmt() end\n',
  'balance.lua': '--@include fmt.lua\nlocal function balance() end\n',
  'audit.lua': '--@include fmt.lua\n--@include balance.lua\nlocal function audit() end\n',
  'a.lua': '--@include b.lua\n',
  'b.lua': '--@include a.lua\n',
};
const read = (file: string) => {
  if (!(file in files)) throw new Error(`no ${file}`);
  return files[file]!;
};

it('expands includes recursively, each once, every file before the code that includes it', () => {
  const out = expandIncludes('--@include audit.lua\n--@include balance.lua\nreturn audit()\n', read);
  expect(out).not.toMatch(/^--@include/m);
  const at = (name: string) => out.indexOf(`local function ${name}()`);
  for (const name of ['fmt', 'balance', 'audit']) expect(out.split(`local function ${name}()`)).toHaveLength(2);
  expect(at('fmt')).toBeLessThan(at('balance'));
  expect(at('balance')).toBeLessThan(at('audit'));
  expect(out.indexOf('return audit()')).toBeGreaterThan(at('audit'));
});

it('refuses an include cycle instead of dropping a file', () => {
  expect(() => expandIncludes('--@include a.lua\n', read)).toThrow('Lua include cycle: a.lua -> b.lua -> a.lua');
});

it.each(SCRIPT_NAMES)('%s: every include expanded, every helper defined once, before its first use', (name) => {
  const source = scriptSource(name);
  expect(source).not.toMatch(/^--@include/m);
  const defined = [...source.matchAll(/^local function (\w+)/gm)].map((m) => m[1]!);
  expect(new Set(defined).size).toBe(defined.length);
  for (const fn of defined) {
    const definedAt = source.indexOf(`local function ${fn}(`);
    const firstCall = source.search(new RegExp(`[^\\w.:]${fn}\\(`));
    expect(firstCall, `${fn} is called before it is defined`).toBeGreaterThanOrEqual(definedAt);
  }
});
