import { InvalidArgumentError } from 'commander';
import { InputError, UnavailableError } from '../errors.js';
import { parseMoney, type Money } from '../money.js';

/** Exit code for bad input (flags, files, jobs); 1 is for failures of the system itself. */
export const EXIT_BAD_INPUT = 2;

/**
 * Runs a command body: an InputError is the user's to fix (message on stderr, exit 2); anything
 * else is ours (message, exit 1). Nothing is printed to stdout on error.
 */
export function action<A extends unknown[]>(body: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    try {
      await body(...args);
    } catch (err) {
      if (err instanceof InputError) {
        process.stderr.write(`vidgate: ${err.message}\n`);
        process.exitCode = EXIT_BAD_INPUT;
        return;
      }
      const text = err instanceof UnavailableError ? err.message : ((err as Error).stack ?? String(err));
      process.stderr.write(`vidgate: ${text}\n`);
      process.exitCode = 1;
    }
  };
}

/** The largest whole number a flag takes: every count, size and duration stays an exact integer well inside a JS number. */
export const MAX_FLAG_INT = 1_000_000_000;

// Option parsers: commander reports their errors with the flag's name, and we exit 2.
export function positiveInt(value: string): number {
  if (!/^[1-9]\d*$/.test(value) || Number(value) > MAX_FLAG_INT) throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_FLAG_INT}.`);
  return Number(value);
}

/** A TCP port; `allowZero` for a server that may pick a free one. */
export function portOption(allowZero = false) {
  return (value: string): number => {
    const min = allowZero ? 0 : 1;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 65535) throw new InvalidArgumentError(`expected a port from ${min} to 65535.`);
    return Number(value);
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0.');
  return n;
}

export function moneyOption(value: string): Money {
  const m = parseMoney(value);
  if (!m) throw new InvalidArgumentError('expected an amount such as "500" or "12.50".');
  return m;
}

export function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) {
    throw new InvalidArgumentError('expected a fraction above 0 and at most 1, such as 0.8.');
  }
  return n;
}

export function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`allowed: ${allowed.join(', ')}.`);
    }
    return value as T;
  };
}

export function csv(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
