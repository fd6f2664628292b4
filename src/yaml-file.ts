import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { InputError, type ErrorDetails } from './errors.js';
import { formatPath, issueMessage, issuePath } from './validation.js';

type ErrorClass = new (message: string, details?: ErrorDetails) => InputError;

/** The line of the deepest node of `path` that exists in the document (1-based). */
function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as (string | number)[], true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return undefined;
}

/**
 * Parses YAML (or JSON, which YAML reads too) and validates it; every error names the file, the
 * line and the field, and says what is allowed there. Returns the data and a way to find lines.
 */
export function parseYamlAs<S extends z.ZodType>(
  schema: S,
  text: string,
  what: string,
  Err: ErrorClass = InputError,
): { data: z.infer<S>; lineOf: (path: readonly PropertyKey[]) => number | undefined } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split(' at line')[0]!.split('\n')[0]}`);
    const line = doc.errors[0]?.linePos?.[0]?.line;
    throw new Err(`${what} is not valid YAML/JSON:\n  ${lines.join('\n  ')}`, { where: what, ...(line ? { line } : {}) });
  }
  const find = (path: readonly PropertyKey[]) => lineOf(doc, counter, path);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // An alias bomb (aliases of aliases, expanding without end) is refused here, by the yaml library's count.
    throw new Err(`${what} is not valid YAML/JSON: ${(err as Error).message} (aliases may expand to at most 100 nodes)`, { where: what });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const line = find(issuePath(issue));
      return `${line ? `line ${line}, ` : ''}${formatPath(issue.path)}: ${issueMessage(issue)}`;
    });
    const first = result.error.issues[0]!;
    const line = find(issuePath(first));
    throw new Err(`${what} is not valid:\n  ${lines.join('\n  ')}`, { where: what, field: formatPath(issuePath(first)), allowed: issueMessage(first), ...(line ? { line } : {}) });
  }
  return { data: result.data, lineOf: find };
}

export function readTextFile(path: string, what: string, Err: ErrorClass = InputError): { file: string; text: string } {
  const file = resolve(path);
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    throw new Err(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { where: file });
  }
}
