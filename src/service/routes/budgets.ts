import { z } from 'zod';
import { Name } from '../../names.js';
import type { RouteContext, TypedApp } from '../app.js';
import { requireTeam } from '../auth.js';
import { ErrorBody, ServiceError } from '../errors.js';

const Scope = z.object({
  scope: z.enum(['team', 'project']),
  name: z.string(),
  limit: z.string(),
  period: z.string(),
  window: z.string(),
  spent: z.string(),
  reserved: z.string().describe('held in flight by reservations'),
  available: z.string(),
  alerts: z.array(z.number()).describe('the alert thresholds, as fractions of the limit'),
  alertsFired: z.array(z.number()).describe('the thresholds that fired in the current window'),
});
const Budgets = z.object({ team: z.string(), scopes: z.array(Scope) }).meta({ id: 'Budgets' });

export function budgetRoutes(app: TypedApp, ctx: RouteContext): void {
  app.get(
    '/v1/teams/:team/budgets',
    { schema: { summary: "every budget scope of the team: limit, spent, held in flight, available, window", params: z.object({ team: Name }), response: { 200: Budgets, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody } } },
    async (req) => {
      const { team } = req.params;
      requireTeam(req, team, 'submit', 'forbidden');
      const stored = await ctx.policies.current(team);
      if (!stored) throw new ServiceError(404, 'no-policy', `team ${team} has no policy (a team exists once it has one)`);
      const projects = Object.keys(stored.active.policy.budgets.projects);
      const views = await ctx.ledger.getBudgets(team, projects);
      const scopes = views.flatMap((v) =>
        v ? [{ scope: v.project === undefined ? ('team' as const) : ('project' as const), name: v.project ?? v.team, limit: v.limit, period: v.period, window: v.window, spent: v.spent, reserved: v.reserved, available: v.available, alerts: v.alerts, alertsFired: v.alertsFired }] : [],
      );
      return { team, scopes };
    },
  );
}
