import { z } from 'zod';
import { Name } from '../../names.js';
import type { RouteContext, TypedApp } from '../app.js';
import { actorOf, requireAdmin, requireTeam } from '../auth.js';
import { ErrorBody, ServiceError } from '../errors.js';

const Meta = z.object({ team: z.string(), version: z.number(), digest: z.string(), by: z.string(), at: z.string(), origin: z.string(), format: z.enum(['yaml', 'json']) });
const Current = Meta.extend({ source: z.string().describe('the policy as it was sent') }).meta({ id: 'Policy' });
const Change = z.object({ team: z.string(), from: z.number().nullable(), to: z.number().nullable(), changed: z.boolean(), summary: z.array(z.string()) }).meta({ id: 'PolicyChange' });
const TeamParams = z.object({ team: Name });

export function policyRoutes(app: TypedApp, ctx: RouteContext): void {
  app.get(
    '/v1/teams/:team/policy',
    { schema: { summary: "the team's policy in force", params: TeamParams, response: { 200: Current, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody } } },
    async (req) => {
      const { team } = req.params;
      requireTeam(req, team, 'submit', 'forbidden');
      const p = await ctx.policies.current(team);
      if (!p) throw new ServiceError(404, 'no-policy', `team ${team} has no policy`);
      return { team: p.team, version: p.version, digest: p.digest, by: p.by, at: p.at, origin: p.origin, format: p.format, source: p.source };
    },
  );

  app.put(
    '/v1/teams/:team/policy',
    {
      schema: {
        summary: "replace the team's policy (YAML with Content-Type application/yaml, or JSON)",
        description: 'Validated exactly as policy files are: a bad policy is 422 with the field, the line and what is allowed, and nothing changes. A manage key may change its own team; a team with no policy yet (a new team) needs the admin key.',
        params: TeamParams,
        body: z.union([z.string().max(1024 * 1024), z.record(z.string(), z.unknown())]),
        response: { 200: Change, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody, 501: ErrorBody.describe('a read-only policy source (a directory) cannot change') },
      },
    },
    async (req) => {
      const { team } = req.params;
      requireTeam(req, team, 'manage', 'forbidden');
      if (!(await ctx.policies.current(team))) requireAdmin(req, `team ${team} has no policy yet: creating a team`);
      const yaml = typeof req.body === 'string';
      const text = yaml ? (req.body as string) : JSON.stringify(req.body, null, 2);
      const actor = actorOf(req);
      const [change] = await ctx.policies.apply([{ text, format: yaml ? 'yaml' : 'json', origin: `PUT /v1/teams/${team}/policy` }], { actor, onlyTeam: team });
      if (!change) throw new ServiceError(422, 'invalid-policy', `the policy is not team ${team}'s`, { field: 'team', allowed: team });
      return change;
    },
  );

  app.get(
    '/v1/teams/:team/policy/history',
    {
      schema: {
        summary: "the team's policy versions, newest first",
        params: TeamParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), before: z.coerce.number().int().min(1).optional().describe('versions before this one') }),
        response: { 200: z.object({ versions: z.array(Meta) }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody },
      },
    },
    async (req) => {
      const { team } = req.params;
      requireTeam(req, team, 'submit', 'forbidden');
      return { versions: await ctx.policies.history(team, { limit: req.query.limit, ...(req.query.before !== undefined ? { before: req.query.before } : {}) }) };
    },
  );
}
