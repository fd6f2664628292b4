import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The floors of docs/architecture.md: a module may import its own floor and the floors below,
// never one above. The test reads every import under src/ and fails on one that goes up.
const FLOORS: string[][] = [
  ['errors', 'money', 'names', 'catalog', 'defaults', 'bounded-cache', 'validation', 'log', 'redis-script', 'redis-connection', 'yaml-file'],
  ['job'],
  ['pricing'],
  ['ledger', 'metrics'],
  ['policy'],
  ['providers'],
  ['queue', 'webhooks'],
  ['reconcile', 'report'],
  ['cli', 'service', 'index'],
];
const floorOf = (module: string) => FLOORS.findIndex((f) => f.includes(module));

const src = fileURLToPath(new URL('../../src/', import.meta.url));
const moduleOf = (file: string) => relative(src, file).split('/')[0]!.replace(/\.(ts|js)$/, '');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));
}

it('every module of src/ is on a floor, and imports only its own floor and those below', () => {
  const upward: string[] = [];
  const all = files(src);
  expect(all.length).toBeGreaterThan(50);
  for (const file of all) {
    const from = moduleOf(file);
    expect([from, floorOf(from)]).not.toEqual([from, -1]);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = moduleOf(normalize(join(file, '..', spec!)));
      if (floorOf(to) > floorOf(from)) upward.push(`${relative(src, file)} imports ${spec} (${from} → ${to})`);
    }
  }
  expect(upward).toEqual([]);
});
