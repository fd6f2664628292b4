import { Decimal } from 'decimal.js';

// Money is Decimal in TypeScript and integer micro-units (1e-6) in Redis. A private Decimal
// constructor keeps our precision and rounding settings away from anyone else's global config.
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Money = Decimal;

const MONEY_TEXT = /^(0|[1-9]\d*)(\.\d+)?$/;
const MICROS_PER_UNIT = new Money(1_000_000);

/** Parses a non-negative decimal string such as "12.50"; returns null when it is not one. */
export function parseMoney(text: string): Money | null {
  const trimmed = text.trim();
  return MONEY_TEXT.test(trimmed) ? new Money(trimmed) : null;
}

export function money(value: string | Decimal): Money {
  return new Money(value);
}

/** Integer micro-units as a decimal string (Redis and Lua take it exactly, no float). */
export function toMicros(amount: Decimal, rounding: 'up' | 'half-up' = 'half-up'): string {
  // The receiver's constructor sets the product's precision: Money's, whatever made `amount`.
  const micros = MICROS_PER_UNIT.times(amount);
  return micros.toDecimalPlaces(0, rounding === 'up' ? Money.ROUND_CEIL : Money.ROUND_HALF_UP).toFixed(0);
}

export function fromMicros(micros: string | bigint | number): Money {
  // Redis replies are integers (exact up to 2^53 in Lua's doubles); strings are the normal path.
  return new Money(typeof micros === 'bigint' ? micros.toString() : micros).dividedBy(MICROS_PER_UNIT);
}

/** A money amount for people and JSON: at least `minPlaces` decimals, never an exponent. */
export function formatMoney(amount: Decimal, minPlaces = 2): string {
  // At least as many places as it has: toFixed never rounds, so no copy into Money is needed.
  return amount.toFixed(Math.max(minPlaces, amount.decimalPlaces()));
}

export function sumMoney(amounts: Iterable<Decimal>): Money {
  let total = new Money(0);
  for (const a of amounts) total = total.plus(a);
  return total;
}

/**
 * formatMoney(fromMicros(micros)) by string work alone: the ledger's replies are integer strings,
 * and this is on the hot path of every reservation.
 */
export function microsToMoneyText(micros: string): string {
  const negative = micros.charCodeAt(0) === 45; // '-'
  let digits = negative ? micros.slice(1) : micros;
  if (digits.length < 7) digits = digits.padStart(7, '0');
  // Index scans, not regular expressions: two amounts of every scope of every reservation come through here.
  let from = 0;
  const point = digits.length - 6;
  while (from < point - 1 && digits.charCodeAt(from) === 48) from++; // leading zeros of the whole part
  let to = digits.length;
  while (to > point + 2 && digits.charCodeAt(to - 1) === 48) to--; // trailing zeros past two places
  const sign = negative && /[1-9]/.test(digits) ? '-' : '';
  return `${sign}${digits.slice(from, point)}.${digits.slice(point, to)}`;
}
