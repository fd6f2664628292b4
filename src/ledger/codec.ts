import type { Decimal } from 'decimal.js';
import { fromMicros, microsToMoneyText, toMicros, type Money } from '../money.js';

/**
 * The one crossing between the API's money and the scripts' integer micro-units (1e-6): amounts
 * go in as integer strings and come back as decimal strings, never through a JavaScript number.
 */
export const micros = {
  /** Costs round up, so rounding never admits more than was priced. */
  encode: (amount: Decimal, rounding: 'up' | 'half-up' = 'half-up'): string => toMicros(amount, rounding),
  decode: (text: string): string => microsToMoneyText(text),
  /** For arithmetic on a reply's amounts (the available clamp), not for showing them. */
  toMoney: (text: string): Money => fromMicros(text),
};

const PPM = 1_000_000;

/** Shares of a limit (alert thresholds, ceilings) as integer parts per million. */
export const ppm = {
  encode: (fraction: number): number => Math.round(fraction * PPM),
  decode: (value: string | number): number => Number(value) / PPM,
};

/** Decodes the named money fields of a reply object; the others pass through unchanged. */
export function decodeMoneyFields<T extends Record<string, unknown>>(wire: T, fields: readonly string[]): T {
  const out: Record<string, unknown> = { ...wire };
  for (const f of fields) {
    const v = wire[f];
    if (typeof v === 'string' && v !== '') out[f] = micros.decode(v);
  }
  return out as T;
}
