import type { RateCard } from '../pricing/rate-card-schema.js';
import type { BudgetSpec, Policy } from './schema.js';

const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
const budgetText = (b: BudgetSpec | undefined) => (b ? `${b.limit} ${b.period}${b.alerts?.length ? ` alerts ${b.alerts.join(',')}` : ''}` : '(none)');

/**
 * What a new version of a team's policy changes, one line each (budgets, the card, each rule):
 * what `vidgate policy apply` prints. A policy with no predecessor is "new".
 */
export function policyChanges(before: { policy: Policy; card: RateCard } | null, after: { policy: Policy; card: RateCard }): string[] {
  if (!before) {
    const projects = Object.keys(after.policy.budgets.projects);
    return [`new policy: card ${after.card.id}, ${projects.length} project budget${projects.length === 1 ? '' : 's'}${after.policy.budgets.team ? ' and a team budget' : ''}`];
  }
  const lines: string[] = [];
  const [a, b] = [before.policy, after.policy];
  if (before.card.id !== after.card.id) lines.push(`rateCard: ${before.card.id} -> ${after.card.id}`);
  else if (JSON.stringify(before.card) !== JSON.stringify(after.card)) lines.push(`rateCard: card ${after.card.id}'s prices changed`);
  if (budgetText(a.budgets.team) !== budgetText(b.budgets.team)) lines.push(`budgets.team: ${budgetText(a.budgets.team)} -> ${budgetText(b.budgets.team)}`);
  // Own keys only: project names are chosen by users.
  const projects = [...new Set([...Object.keys(a.budgets.projects), ...Object.keys(b.budgets.projects)])].sort();
  for (const p of projects) {
    const x = Object.hasOwn(a.budgets.projects, p) ? a.budgets.projects[p] : undefined;
    const y = Object.hasOwn(b.budgets.projects, p) ? b.budgets.projects[p] : undefined;
    if (budgetText(x) !== budgetText(y)) lines.push(`budgets.projects.${p}: ${budgetText(x)} -> ${budgetText(y)}${y ? '' : ' (the ledger keeps its budget; the policy no longer admits the project)'}`);
  }
  for (const rule of Object.keys({ ...a.rules, ...b.rules }).sort() as (keyof Policy['rules'])[]) {
    if (show(a.rules[rule]) !== show(b.rules[rule])) lines.push(`rules.${rule}: ${show(a.rules[rule])} -> ${show(b.rules[rule])}`);
  }
  return lines.length ? lines : ['no change in effect'];
}
