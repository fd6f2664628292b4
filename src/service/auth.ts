import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sameSecret, type KeyStore } from './keys.js';
import { ServiceError } from './errors.js';

export type Principal = { kind: 'admin'; keyId: string } | { kind: 'team'; team: string; role: 'submit' | 'manage'; keyId: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook for every /v1 route. */
    principal: Principal;
  }
}

const BEARER = /^Bearer ([\x21-\x7e]{1,200})$/;

/**
 * The auth hook of every /v1 route: `Authorization: Bearer <key>`, a key made by `vidgate keys
 * create`, or the admin key of VIDGATE_ADMIN_KEY. No key, or one that is not live, is 401 and
 * says nothing about which.
 */
export function installAuth(app: FastifyInstance, keys: KeyStore, adminKey: string | undefined): void {
  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', async (req) => {
    // The matched route, not the raw URL: an encoded path (/%761/…) reaches the same route.
    if (!req.routeOptions.url?.startsWith('/v1/')) return;
    const m = BEARER.exec(req.headers.authorization ?? '');
    if (!m) throw new ServiceError(401, 'unauthorized', 'send an API key as "Authorization: Bearer <key>"', { field: 'authorization' });
    const presented = m[1]!;
    if (adminKey && sameSecret(presented, adminKey)) {
      req.principal = { kind: 'admin', keyId: 'env' };
      return;
    }
    const info = await keys.verify(presented);
    if (!info) throw new ServiceError(401, 'unauthorized', 'the API key is not valid (unknown or revoked)', { field: 'authorization' });
    req.principal = info.role === 'admin' || info.team === null ? { kind: 'admin', keyId: info.id } : { kind: 'team', team: info.team, role: info.role, keyId: info.id };
  });
}

/**
 * Lets the request act on `team` with `role`, or throws: another team's key gets 404 for what
 * only exists inside a team (jobs, so it learns nothing of them) or 403 where the route itself
 * says which team it is about (policy, budgets); a submit key asking to manage gets 403.
 */
export function requireTeam(req: FastifyRequest, team: string, role: 'submit' | 'manage', otherTeam: 'not-found' | 'forbidden'): void {
  const p = req.principal;
  if (p.kind === 'admin') return;
  if (p.team !== team) {
    if (otherTeam === 'not-found') throw new ServiceError(404, 'not-found', 'not found');
    throw new ServiceError(403, 'forbidden', `this key is for another team than ${team}`);
  }
  if (role === 'manage' && p.role !== 'manage') throw new ServiceError(403, 'forbidden', 'this needs a manage key (this key may only submit and read)', { allowed: 'a key made with --role manage' });
}

/** Admin only (creating teams). */
export function requireAdmin(req: FastifyRequest, what: string): void {
  if (req.principal.kind !== 'admin') throw new ServiceError(403, 'forbidden', `${what} needs the admin key`);
}

/** The team a request acts for: its key's, or for an admin the one it names. */
export function teamOf(req: FastifyRequest, named: string | undefined): string {
  const p = req.principal;
  if (p.kind === 'team') {
    if (named !== undefined && named !== p.team) throw new ServiceError(403, 'forbidden', `this key is for team ${p.team}, not ${named}`, { field: 'team' });
    return p.team;
  }
  if (named === undefined) throw new ServiceError(400, 'invalid-request', 'an admin key acts for every team: name the team', { field: 'team' });
  return named;
}

/** Who a change is recorded as made by: the key's id, never the key. */
export function actorOf(req: FastifyRequest): string {
  return req.principal.kind === 'admin' ? `admin:${req.principal.keyId}` : `key:${req.principal.keyId}`;
}
