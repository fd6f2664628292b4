import { z } from 'zod';
import { Name } from '../../names.js';
import { DeliveryListQuery, DeliveryListView, getWebhooks, listDeliveries, putWebhooks, WebhookConfigInput, WebhookConfigView, webhookDeps, type WebhookDeps } from '../../webhooks/api.js';
import type { RouteContext, TypedApp } from '../app.js';
import { actorOf, requireTeam } from '../auth.js';
import { ErrorBody, ServiceError } from '../errors.js';

const refusals = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody };

/**
 * A team's outbound webhooks: the functions and schemas are src/webhooks/api.ts's; this file only
 * puts them behind a manage key of the team (a webhook's secret and its delivery log are the
 * team's, so another team's key is refused as for its policy).
 */
export function webhookRoutes(app: TypedApp, ctx: RouteContext): void {
  const deps: WebhookDeps = ctx.webhooks ?? webhookDeps(ctx.redis, ctx.prefix);
  const params = z.object({ team: Name });

  app.put(
    '/v1/teams/:team/webhooks',
    { schema: { summary: "register the team's webhook endpoints and signing secret (replaces the list)", params, body: WebhookConfigInput, response: { 200: WebhookConfigView, ...refusals } } },
    async (req) => {
      requireTeam(req, req.params.team, 'manage', 'forbidden');
      return putWebhooks(deps, req.params.team, req.body, actorOf(req));
    },
  );

  app.get(
    '/v1/teams/:team/webhooks',
    { schema: { summary: "the team's webhook endpoints (the secret masked)", params, response: { 200: WebhookConfigView, ...refusals } } },
    async (req) => {
      requireTeam(req, req.params.team, 'manage', 'forbidden');
      const view = await getWebhooks(deps, req.params.team);
      if (!view) throw new ServiceError(404, 'not-found', `team ${req.params.team} has no webhooks`);
      return view;
    },
  );

  app.get(
    '/v1/teams/:team/webhooks/deliveries',
    { schema: { summary: "the team's delivery attempts, newest first", params, querystring: DeliveryListQuery, response: { 200: DeliveryListView, ...refusals } } },
    async (req) => {
      requireTeam(req, req.params.team, 'manage', 'forbidden');
      return listDeliveries(deps, req.params.team, req.query);
    },
  );
}
