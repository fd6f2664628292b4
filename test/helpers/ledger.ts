import { createLedger, type Ledger, type LedgerOptions } from '../../src/ledger/index.js';
import { redisUrl, uniquePrefix } from './redis.js';

/** A ledger on the test Redis with a fresh prefix and a clock the test moves. */
export function testLedger(opts: Partial<LedgerOptions> = {}): { ledger: Ledger; clock: { now: number }; prefix: string } {
  const clock = { now: Date.UTC(2026, 10, 15, 12, 0, 0) };
  const prefix = opts.prefix ?? uniquePrefix('ledger');
  const ledger = createLedger({ redis: redisUrl(), prefix, clock: () => clock.now, ...opts });
  return { ledger, clock, prefix };
}
