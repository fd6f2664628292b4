import type { Alert, ScopeBalance } from '../schema.js';
import { decodeMoneyFields, micros, ppm } from '../codec.js';

/** A scope view as the scripts' JSON carries it: amounts in micro-units. */
export type ScopeWire = Record<keyof ScopeBalance, string>;
export type AlertWire = Record<keyof Alert, string>;

const VIEW_MONEY = ['limit', 'spent', 'reserved', 'available'] as const;
const ALERT_MONEY = ['limit', 'spent', 'reserved'] as const;

/** cjson encodes an empty Lua table as {}: every table the scripts return empty is a list. */
export function list<T>(value: T[] | Record<string, never> | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

export function decodeView(wire: ScopeWire): ScopeBalance {
  return decodeMoneyFields(wire, VIEW_MONEY) as unknown as ScopeBalance;
}

export function decodeAlert(wire: AlertWire): Alert {
  return { ...decodeMoneyFields(wire, ALERT_MONEY), threshold: ppm.decode(wire.threshold) } as unknown as Alert;
}

const ALERT_FIELDS = ['scope', 'name', 'window', 'threshold', 'limit', 'spent', 'reserved'] as const;

/** Reserve's flat text, "a|b|…;a|b|…", as objects with the given field names in order. */
function records<K extends string>(text: string, names: readonly K[]): Record<K, string>[] {
  if (!text) return [];
  return text.split(';').map((record) => {
    const values = record.split('|');
    const out = {} as Record<K, string>;
    names.forEach((name, i) => (out[name] = values[i]!));
    return out;
  });
}

/** An amount of a flat record, decoded as decodeMoneyFields does (an empty one stays empty). */
const amount = (v: string | undefined) => (v ? micros.decode(v) : v!);

/**
 * Reserve's flat views: "kind|name|window|limit|spent|reserved|available;…". Every reservation
 * decodes two: each straight into its view, with no record in between to copy.
 */
export function decodeViewText(text: string): ScopeBalance[] {
  if (!text) return [];
  return text.split(';').map((line) => {
    const [scope, name, window, limit, spent, reserved, available] = line.split('|');
    return { scope: scope as ScopeBalance['scope'], name: name!, window: window!, limit: amount(limit), spent: amount(spent), reserved: amount(reserved), available: amount(available) };
  });
}

/** Reserve's flat alerts: "scope|name|window|ppm|limit|spent|reserved;…". */
export function decodeAlertText(text: string): Alert[] {
  return records(text, ALERT_FIELDS).map(decodeAlert);
}
