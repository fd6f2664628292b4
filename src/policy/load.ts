import { readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { DEFAULTS } from '../defaults.js';
import { PolicyError } from '../errors.js';
import { loadRateCard, rateCardRef } from '../pricing/rate-cards.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import { parseYamlAs, readTextFile } from '../yaml-file.js';
import { Policy } from './schema.js';

export type PolicyFormat = 'yaml' | 'json';

export interface LoadedPolicy {
  policy: Policy;
  card: RateCard;
  /** The card as `loadRateCard` takes it (a built-in id or an absolute path), or a stored card's `sha256:` ref. */
  cardRef: string;
  /** Where the policy came from: a file path, or e.g. `PUT /v1/teams/t1/policy`. */
  file: string;
}

export interface ParseOptions {
  format?: PolicyFormat;
  /** Where a card file named by `rateCard` is looked for (default: the policy file's directory). */
  baseDir?: string;
  /** Resolves the card instead of reading it from disk (a stored policy carries its card). */
  cardFor?: (ref: string) => { card: RateCard; cardRef: string };
}

/** The line of a JSON.parse error: from the position V8 may put in its message, else where the YAML parser (which reads JSON too) stops. */
function jsonErrorLine(text: string, message: string): number | undefined {
  const line = /line (\d+)/.exec(message);
  if (line) return Number(line[1]);
  const pos = /position (\d+)/.exec(message);
  if (pos) return text.slice(0, Number(pos[1])).split('\n').length;
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  return doc.errors[0]?.linePos?.[0]?.line;
}

/**
 * Parses and validates a policy's text (YAML, or JSON, which gets the same rules, fields and
 * lines); errors name the origin, the line and the field, and say what is allowed.
 */
export function parsePolicy(text: string, file: string, opts: ParseOptions = {}): LoadedPolicy {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > DEFAULTS.policyMaxBytes) {
    throw new PolicyError(`policy ${file} is ${bytes} bytes: a policy may be at most ${DEFAULTS.policyMaxBytes} bytes`, { where: file, allowed: `at most ${DEFAULTS.policyMaxBytes} bytes` });
  }
  if (opts.format === 'json') {
    try {
      JSON.parse(text);
    } catch (err) {
      const line = jsonErrorLine(text, (err as Error).message);
      throw new PolicyError(`policy ${file}${line ? `, line ${line}` : ''} is not valid JSON: ${(err as Error).message}`, { where: file, ...(line ? { line } : {}) });
    }
  }
  const { data: policy, lineOf } = parseYamlAs(Policy, text, `policy file ${file}`, PolicyError);
  let card: RateCard;
  let cardRef: string;
  try {
    if (opts.cardFor) ({ card, cardRef } = opts.cardFor(policy.rateCard ?? ''));
    else {
      // A card file is named relative to the policy file that names it.
      cardRef = rateCardRef(policy.rateCard, opts.baseDir ?? dirname(file));
      card = loadRateCard(cardRef);
    }
  } catch (err) {
    const line = lineOf(['rateCard']);
    throw new PolicyError(`policy file ${file}${line ? `, line ${line}` : ''}, rateCard: ${(err as Error).message}`, { where: file, field: 'rateCard', ...(line ? { line } : {}) });
  }
  (policy.rules.allowModels ?? []).forEach((model, i) => {
    if (!card.products.some((p) => p.model === model)) {
      const line = lineOf(['rules', 'allowModels', i]);
      throw new PolicyError(`policy file ${file}${line ? `, line ${line}` : ''}, rules.allowModels[${i}]: rate card ${card.id} does not price ${model}`, {
        where: file,
        field: `rules.allowModels[${i}]`,
        allowed: [...new Set(card.products.map((p) => p.model))].join(', '),
        ...(line ? { line } : {}),
      });
    }
  });
  return { policy, card, cardRef, file };
}

/** A policy file's format by its name: `.json` is JSON, anything else YAML. */
export const formatOfFile = (path: string): PolicyFormat => (extname(path).toLowerCase() === '.json' ? 'json' : 'yaml');

export function loadPolicyFile(path: string): LoadedPolicy {
  const { file, text } = readTextFile(path, 'policy file', PolicyError);
  return parsePolicy(text, file, { format: formatOfFile(file) });
}

/** The policy files of a directory: every `*.yaml`, `*.yml` and `*.json`, sorted. */
export function policyFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => /\.(ya?ml|json)$/i.test(n) && n !== 'policy.schema.json')
      .sort()
      .map((n) => join(resolve(dir), n));
  } catch (err) {
    throw new PolicyError(`cannot read policy directory ${resolve(dir)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Files named on a command line: a directory stands for its policy files. */
export function policyFilesOf(paths: string[]): string[] {
  return paths.flatMap((p) => {
    let dir = false;
    try {
      dir = statSync(p).isDirectory();
    } catch {
      // A missing file is reported by the read, with its path.
    }
    return dir ? policyFilesIn(p) : [resolve(p)];
  });
}

/** Every policy of a directory, keyed by team. Two files for one team is an error. */
export function loadPolicyDir(dir: string): Map<string, LoadedPolicy> {
  const policies = new Map<string, LoadedPolicy>();
  for (const path of policyFilesIn(dir)) {
    const loaded = loadPolicyFile(path);
    const other = policies.get(loaded.policy.team);
    if (other) throw new PolicyError(`team ${loaded.policy.team} has two policy files: ${other.file} and ${loaded.file}`);
    policies.set(loaded.policy.team, loaded);
  }
  return policies;
}
