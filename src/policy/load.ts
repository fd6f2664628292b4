import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PolicyError } from '../errors.js';
import { loadRateCard, rateCardRef } from '../pricing/rate-cards.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import { parseYamlAs, readTextFile } from '../yaml-file.js';
import { Policy } from './schema.js';

export interface LoadedPolicy {
  policy: Policy;
  card: RateCard;
  /** The card as `loadRateCard` takes it from anywhere: for a generator settling in another process. */
  cardRef: string;
  file: string;
}

/** Parses and validates a policy's YAML text; errors name the file, the line and the field. */
export function parsePolicy(text: string, file: string): LoadedPolicy {
  const { data: policy, lineOf } = parseYamlAs(Policy, text, `policy file ${file}`, PolicyError);
  // A card file is named relative to the policy file that names it.
  const cardRef = rateCardRef(policy.rateCard, dirname(file));
  let card: RateCard;
  try {
    card = loadRateCard(cardRef);
  } catch (err) {
    const line = lineOf(['rateCard']);
    throw new PolicyError(`policy file ${file}${line ? `, line ${line}` : ''}, rateCard: ${(err as Error).message}`, { where: file });
  }
  (policy.rules.allowModels ?? []).forEach((model, i) => {
    if (!card.products.some((p) => p.model === model)) {
      const line = lineOf(['rules', 'allowModels', i]);
      throw new PolicyError(
        `policy file ${file}${line ? `, line ${line}` : ''}, rules.allowModels[${i}]: rate card ${card.id} does not price ${model}`,
        { where: file },
      );
    }
  });
  return { policy, card, cardRef, file };
}

export function loadPolicyFile(path: string): LoadedPolicy {
  const { file, text } = readTextFile(path, 'policy file', PolicyError);
  return parsePolicy(text, file);
}

/** Every `*.yaml` / `*.yml` policy in a directory, keyed by team. Two files for one team is an error. */
export function loadPolicyDir(dir: string): Map<string, LoadedPolicy> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new PolicyError(`cannot read policy directory ${resolve(dir)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const policies = new Map<string, LoadedPolicy>();
  for (const name of names) {
    const loaded = loadPolicyFile(join(dir, name));
    const other = policies.get(loaded.policy.team);
    if (other) throw new PolicyError(`team ${loaded.policy.team} has two policy files: ${other.file} and ${loaded.file}`);
    policies.set(loaded.policy.team, loaded);
  }
  return policies;
}
