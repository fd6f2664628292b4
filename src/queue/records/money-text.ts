import { z } from 'zod';
import { formatMoney, money, parseMoney, type Money } from '../../money.js';

// The one money codec of the records that travel between processes (as BullMQ job data and
// return values, so as JSON): an amount is a decimal string on the wire and a Decimal in code.

/** A non-negative or negative decimal amount as text, such as "12.50" or "-0.25" (a variance). */
export const AmountText = z.string().refine((t) => parseMoney(t.replace(/^-/, '')) !== null, 'expected a decimal amount such as "12.50"');
export type AmountText = z.infer<typeof AmountText>;

export const writeMoney = (m: Money): AmountText => formatMoney(m);
export const readMoney = (t: AmountText): Money => money(t);
