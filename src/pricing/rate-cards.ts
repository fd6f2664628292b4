import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import hfForum from './cards/hf-forum-2026-04.json' with { type: 'json' };
import klingOfficial from './cards/kling-official-2026-09.json' with { type: 'json' };
import { InputError } from '../errors.js';
import { parseOrThrow } from '../validation.js';
import { RateCard } from './rate-card-schema.js';

export const DEFAULT_RATE_CARD = 'hf-forum-2026-04';

const builtIn = new Map<string, RateCard>(
  [hfForum, klingOfficial].map((raw) => {
    const card = parseOrThrow(RateCard, raw, `built-in rate card ${String(raw.id)}`);
    return [card.id, card];
  }),
);

export function builtInRateCards(): RateCard[] {
  return [...builtIn.values()];
}

const looksLikePath = (idOrFile: string) => idOrFile.includes('/') || idOrFile.endsWith('.json');

/**
 * How to name a card so that `loadRateCard` finds it from any working directory: a built-in id
 * as it is, a file path made absolute against `baseDir` (a policy's own directory).
 */
export function rateCardRef(idOrFile: string = DEFAULT_RATE_CARD, baseDir = '.'): string {
  return builtIn.has(idOrFile) || !looksLikePath(idOrFile) ? idOrFile : resolve(baseDir, idOrFile);
}

/** A built-in card by id, or a card from a JSON file; the default card when nothing is named. */
export function loadRateCard(idOrFile: string = DEFAULT_RATE_CARD): RateCard {
  const card = builtIn.get(idOrFile);
  if (card) return card;
  if (!looksLikePath(idOrFile) || !existsSync(idOrFile)) {
    throw new InputError(
      `unknown rate card "${idOrFile}": use a built-in id (${[...builtIn.keys()].join(', ')}) or a path to a JSON file`,
      { where: 'rate card', allowed: [...builtIn.keys()].join(', ') },
    );
  }
  const file = resolve(idOrFile);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`rate card file ${file} is not readable JSON: ${(err as Error).message}`, { where: file });
  }
  return parseOrThrow(RateCard, raw, `rate card file ${file}`);
}
