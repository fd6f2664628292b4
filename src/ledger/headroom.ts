import { money, type Money } from '../money.js';

// The two budget rules in TypeScript; lua/include/headroom.lua states them for the scripts.

/** What a scope can still take: never below zero, even when an overrun pushed it past its limit. */
export function available(limit: Money, used: Money): Money {
  const room = limit.minus(used);
  return room.isNegative() ? money('0') : room;
}

/** Whether `cost` more fits under the share `ceiling` (0 < ceiling ≤ 1) of the limit. */
export function fits(limit: Money, used: Money, cost: Money, ceiling = 1): boolean {
  return used.plus(cost).lte(limit.times(ceiling));
}
