import type { ScopeBalance } from '../../ledger/schema.js';
import type { Explanation } from '../../policy/explanation.js';
import type { DecisionCode, DecisionRecord } from './decision.js';

/**
 * A decision record as Redis keeps it (the intake job's return value, and so its `completed`
 * event): only what cannot be derived. Every finished job leaves one behind for as long as its
 * intake job is kept, and its finishing event carries another copy, so the whole ladder
 * (candidates and dropped: what `vidgate quote` shows) is left out, the top-level cost, reserve
 * and saving are the chosen candidate's, the headroom lines of a budget rejection are written
 * again from the scopes, and each scope is a tuple instead of an object with its key names.
 */
export interface StoredDecision {
  /** The stored shape's version: a record without it is a whole DecisionRecord (written before). */
  v: 2;
  id: string;
  team: string | null;
  project: string | null;
  code: DecisionCode;
  outcome: Explanation['outcome'];
  policyVersion: string | null;
  rateCard: string | null;
  currency: string | null;
  requestedCost: string | null;
  chosen: Explanation['chosen'];
  rules: Explanation['rules'];
  /** The reasons, without the headroom lines that `scopes` gives back when `headroom` is set. */
  reasons: string[];
  headroom?: true;
  /** scope, name, window, limit, spent, reserved, available. */
  scopes: [ScopeBalance['scope'], string, string, string, string, string, string][];
  decidedAt: string;
}

/** What a decided or budget-rejected job's reasons end with: each scope's headroom when the ledger answered. */
export function headroom(scopes: ScopeBalance[]): string[] {
  return scopes.map((s) => `${s.scope} ${s.name} (${s.window}): ${s.available} of ${s.limit} available (spent ${s.spent}, reserved ${s.reserved})`);
}

/** The stored shape of a record: the inverse of `readDecision` for everything that is shown. */
export function storeDecision(r: DecisionRecord): StoredDecision {
  // A budget rejection's reasons end with its scopes' headroom (the router's): written again on reading.
  const lines = headroom(r.scopes);
  const tail = lines.length > 0 && r.reasons.length >= lines.length && lines.every((line, i) => r.reasons[r.reasons.length - lines.length + i] === line);
  return {
    v: 2,
    id: r.id,
    team: r.team,
    project: r.project,
    code: r.code,
    outcome: r.outcome,
    policyVersion: r.policyVersion,
    rateCard: r.rateCard,
    currency: r.currency,
    requestedCost: r.requestedCost,
    chosen: r.chosen,
    rules: r.rules,
    reasons: tail ? r.reasons.slice(0, r.reasons.length - lines.length) : r.reasons,
    ...(tail ? { headroom: true as const } : {}),
    scopes: r.scopes.map((s) => [s.scope, s.name, s.window, s.limit, s.spent, s.reserved, s.available]),
    decidedAt: r.decidedAt,
  };
}

/**
 * The record readers get (the client's handles and show(), the API, the dashboard, webhooks)
 * from what Redis holds: a stored decision, or a whole record written before the stored shape
 * (returned as it is). Its ladder is empty: only the chosen variant is kept.
 */
export function readDecision(stored: StoredDecision | DecisionRecord): DecisionRecord;
export function readDecision(stored: StoredDecision | DecisionRecord | null | undefined): DecisionRecord | null;
export function readDecision(stored: StoredDecision | DecisionRecord | null | undefined): DecisionRecord | null {
  if (stored === null || stored === undefined) return null;
  if (!('v' in stored) || stored.v !== 2) return stored as DecisionRecord;
  const scopes: ScopeBalance[] = stored.scopes.map(([scope, name, window, limit, spent, reserved, available]) => ({ scope, name, window, limit, spent, reserved, available }));
  const c = stored.chosen;
  return {
    outcome: stored.outcome,
    rateCard: stored.rateCard,
    currency: stored.currency,
    requestedCost: stored.requestedCost,
    chosen: c,
    cost: c?.cost ?? null,
    reserve: c?.reserve ?? null,
    saving: c?.saving ?? null,
    candidates: [],
    dropped: [],
    rules: stored.rules,
    reasons: stored.headroom ? [...stored.reasons, ...headroom(scopes)] : stored.reasons,
    id: stored.id,
    team: stored.team,
    project: stored.project,
    code: stored.code,
    policyVersion: stored.policyVersion,
    scopes,
    decidedAt: stored.decidedAt,
  };
}
