import { watch } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { PolicyError } from '../errors.js';
import { formatOfFile, policyFilesIn, policyFilesOf } from '../policy/load.js';
import { readTextFile } from '../yaml-file.js';
import type { PolicyChange, PolicyDocument, PolicyVersions } from './policy-versions.js';

/** The policy documents of files and directories (a directory: its `*.yaml`, `*.yml`, `*.json`). */
export function policyDocuments(paths: string[]): PolicyDocument[] {
  return documentsOf(policyFilesOf(paths), paths);
}

/** The policy documents of one directory (`worker --policies DIR`; none when it has no policy files): a missing directory is said as such. */
export function policyDirDocuments(dir: string): PolicyDocument[] {
  const files = policyFilesIn(dir);
  return files.length === 0 ? [] : documentsOf(files, [dir]);
}

function documentsOf(files: string[], named: string[]): PolicyDocument[] {
  if (files.length === 0) throw new PolicyError(`no policy files in ${named.join(', ')}`, { allowed: '*.yaml, *.yml or *.json files' });
  return files.map((path) => {
    const { file, text } = readTextFile(path, 'policy file', PolicyError);
    return { text, format: formatOfFile(file), origin: file, baseDir: dirname(file) };
  });
}

/** One line per team: what an apply did. */
export function describeChange(c: PolicyChange, dryRun = false): string {
  if (!c.changed) return `${c.team}: unchanged (version ${c.from})`;
  const head = `${c.team}: ${c.from === null ? 'new' : `version ${c.from}`} -> version ${c.to}${dryRun ? ' (dry run: nothing written)' : ''}`;
  return [head, ...c.summary.map((s) => `  ${s}`)].join('\n');
}

/** Applies a directory's policy files; a bad one changes nothing and is logged, not thrown. */
export async function applyPolicyDir(dir: string, versions: PolicyVersions, actor: string, log: Logger): Promise<void> {
  try {
    const docs = policyDirDocuments(dir);
    const changes = docs.length === 0 ? [] : await versions.apply(docs, { actor });
    for (const c of changes.filter((x) => x.changed)) log.info({ team: c.team, from: c.from, to: c.to, summary: c.summary }, 'policy file applied');
  } catch (err) {
    log.error({ dir }, `policy files not applied, the versions in force stay: ${(err as Error).message}`);
  }
}

/**
 * `worker --policies DIR`: a changed file in the directory is applied as a new version (all its
 * files, all or nothing as any apply); a bad file changes nothing and is logged.
 */
export function watchPolicyDir(dir: string, versions: PolicyVersions, actor: string, log: Logger): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let applying: Promise<void> = Promise.resolve();
  const apply = () => {
    applying = applying.then(() => applyPolicyDir(dir, versions, actor, log));
  };
  const watcher = watch(dir, () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 200);
  });
  watcher.unref();
  return async () => {
    clearTimeout(timer);
    watcher.close();
    await applying;
  };
}
