import { createHash, randomBytes } from 'node:crypto';
import { queuePrefix, type RedisConnection as Redis } from '../redis-connection.js';
import { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { InputError } from '../errors.js';
import { Name } from '../names.js';
import { describeIssues, formatPath, issueMessage, issuePath } from '../validation.js';
import { checkAddress, parseTargetUrl, URL_RULE } from './addresses.js';
import { DISPATCH_GROUP, SOURCE_QUEUES, WebhookKeys } from './keys.js';
import { DeliveryAttempt, EventType, Secret, type StoredConfig } from './schema.js';
import { systemResolver, type Resolver } from './send.js';
import { readAttempts, readConfig, writeConfig } from './store.js';

// What the service's two routes call (PUT/GET /v1/teams/{team}/webhooks, GET …/deliveries):
// zod schemas for their bodies and answers, and plain functions. Every error is an InputError
// with `where` and `allowed`.

/**
 * Validates a route's input; the error's `where` is the first bad field (`webhooks.endpoints[0].events[1]`)
 * and `allowed` what that field takes, for the service to answer as they are.
 */
function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  const path = issuePath(first);
  const field = path.length ? `${where}${typeof path[0] === 'number' ? '' : '.'}${formatPath(path)}` : where;
  throw new InputError(`${where} is not valid: ${describeIssues(r.error).join('; ')}`, { where: field, allowed: issueMessage(first) });
}

export interface WebhookDeps {
  redis: Redis;
  prefix: string;
  /** Allow loopback, private, link-local and metadata targets (development and tests only). */
  allowPrivate: boolean;
  resolve?: Resolver;
}

/** Deps for the service from its Redis connection; private targets follow VIDGATE_WEBHOOKS_ALLOW_PRIVATE. */
export function webhookDeps(redis: Redis, prefix: string = DEFAULTS.prefix, env = process.env): WebhookDeps {
  return { redis, prefix, allowPrivate: allowPrivateFromEnv(env) };
}

/** VIDGATE_WEBHOOKS_ALLOW_PRIVATE: `1` or `true` allows private targets; unset or `0`/`false` does not. */
export function allowPrivateFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.VIDGATE_WEBHOOKS_ALLOW_PRIVATE;
  if (v === undefined || v === '' || v === '0' || v === 'false') return DEFAULTS.webhookAllowPrivate;
  if (v === '1' || v === 'true') return true;
  throw new InputError(`VIDGATE_WEBHOOKS_ALLOW_PRIVATE=${JSON.stringify(v)} is not a switch`, { where: 'VIDGATE_WEBHOOKS_ALLOW_PRIVATE', allowed: '1 or true (allow private targets), 0 or false (the default)' });
}

const EndpointInput = z.strictObject({
  url: z.string().max(2000, `use ${URL_RULE}`),
  /** Which events this endpoint gets; all of them when left out. */
  events: z.array(EventType).min(1).max(EventType.options.length).optional(),
  description: z.string().max(500).optional(),
});

export const WebhookConfigInput = z.strictObject({
  endpoints: z.array(EndpointInput).max(DEFAULTS.webhookMaxEndpoints, `at most ${DEFAULTS.webhookMaxEndpoints} endpoints`),
  /** The signing secret; when left out a new team gets a generated one and an existing team keeps its own. */
  secret: Secret.optional(),
  /** Replace the secret with a generated one (shown once, in this answer). */
  rotateSecret: z.boolean().optional(),
});
export type WebhookConfigInput = z.input<typeof WebhookConfigInput>;

export const WebhookConfigView = z.object({
  team: Name,
  endpoints: z.array(z.object({ id: z.string(), url: z.string(), events: z.array(EventType), description: z.string().nullable() })),
  /**
   * The whole secret only in the answer that set it (creation, rotation, or a secret given in the
   * PUT); otherwise masked: `whsec_` and its last four characters.
   */
  secret: z.string(),
  secretShown: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type WebhookConfigView = z.infer<typeof WebhookConfigView>;

const StreamId = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'use the `next` of the previous page');

export const DeliveryListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** The `next` of the previous page: attempts older than it. */
  before: StreamId.optional(),
  /** Only the attempts of one event (its webhook-id). */
  eventId: z.string().max(200).optional(),
});
export type DeliveryListQuery = z.input<typeof DeliveryListQuery>;

export const DeliveryListView = z.object({
  team: Name,
  /** Newest first; `id` is the attempt's place in the history. */
  deliveries: z.array(DeliveryAttempt.extend({ id: z.string() })),
  /** Pass as `before` for the next (older) page; null at the end. */
  next: z.string().nullable(),
});
export type DeliveryListView = z.infer<typeof DeliveryListView>;

export const endpointId = (team: string, url: string) => `ep_${createHash('sha256').update(`${team}\0${url}`).digest('hex').slice(0, 16)}`;
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const masked = (secret: string) => `whsec_…${secret.slice(-4)}`;

function view(c: StoredConfig, secretShown: boolean): WebhookConfigView {
  return {
    team: c.team,
    endpoints: c.endpoints.map((e) => ({ id: e.id, url: e.url, events: e.events, description: e.description })),
    secret: secretShown ? c.secret : masked(c.secret),
    secretShown,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    updatedBy: c.updatedBy,
  };
}

/** Checks a URL's form and, at registration too, where its name points now (checked again at every delivery). */
async function checkEndpointUrl(deps: WebhookDeps, url: string, where: string): Promise<void> {
  const t = parseTargetUrl(url, where);
  if (t.literal) return checkAddress(t.host, where, deps.allowPrivate);
  let addresses;
  try {
    addresses = await (deps.resolve ?? systemResolver)(t.host);
  } catch (err) {
    throw new InputError(`${where}: cannot resolve ${t.host} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { where, allowed: URL_RULE });
  }
  for (const a of addresses) checkAddress(a.address, where, deps.allowPrivate);
}

async function redisNow(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Creates the dispatcher's read position on a stream (at its end: events from now on), once. */
async function ensureGroup(redis: Redis, key: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', key, DISPATCH_GROUP, '$', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }
}

/**
 * PUT: replaces the team's endpoints (and secret when given or rotated). Everything is checked
 * before anything is written. No endpoints leaves the team out of the dispatcher's reads.
 */
export async function putWebhooks(deps: WebhookDeps, team: string, input: unknown, actor: string): Promise<WebhookConfigView> {
  const t = parseInput(Name, team, 'team');
  const body = parseInput(WebhookConfigInput, input, 'webhooks');
  if (body.secret !== undefined && body.rotateSecret) throw new InputError('webhooks: give a secret or rotateSecret, not both', { where: 'webhooks.rotateSecret', allowed: 'a secret, or rotateSecret: true' });
  const seen = new Map<string, number>();
  for (const [i, e] of body.endpoints.entries()) {
    const where = `webhooks.endpoints[${i}].url`;
    await checkEndpointUrl(deps, e.url, where);
    const first = seen.get(e.url);
    if (first !== undefined) throw new InputError(`${where}: the same URL as endpoints[${first}]`, { where, allowed: 'each URL once (list its events instead)' });
    seen.set(e.url, i);
  }
  const keys = new WebhookKeys(deps.prefix, queuePrefix(deps.prefix, deps.redis));
  const existing = await readConfig(deps.redis, keys, t);
  const now = await redisNow(deps.redis);
  const shown = body.secret !== undefined || body.rotateSecret === true || existing === null;
  const config: StoredConfig = {
    team: t,
    endpoints: body.endpoints.map((e) => ({ id: endpointId(t, e.url), url: e.url, events: e.events ?? [...EventType.options], description: e.description ?? null })),
    secret: body.secret ?? (shown ? newSecret() : existing!.secret),
    // Re-enabled after a pause: events from the pause are not this configuration's.
    since: existing && existing.endpoints.length > 0 ? existing.since : now,
    createdAt: existing?.createdAt ?? new Date(now).toISOString(),
    updatedAt: new Date(now).toISOString(),
    updatedBy: actor,
  };
  if (config.endpoints.length > 0) {
    // The read positions first: events from here on are kept for this team even before a
    // dispatcher runs. Then the team joins the dispatcher's list, then its configuration.
    for (const q of SOURCE_QUEUES) await ensureGroup(deps.redis, keys.queueEvents(q));
    await ensureGroup(deps.redis, keys.audit(t));
    await deps.redis.sadd(keys.teams(), t);
    await writeConfig(deps.redis, keys, config);
  } else {
    await writeConfig(deps.redis, keys, config);
    await deps.redis.srem(keys.teams(), t);
  }
  return view(config, shown);
}

/** GET: the team's configuration, the secret masked; null when it has none. */
export async function getWebhooks(deps: WebhookDeps, team: string): Promise<WebhookConfigView | null> {
  const t = parseInput(Name, team, 'team');
  const c = await readConfig(deps.redis, new WebhookKeys(deps.prefix, queuePrefix(deps.prefix, deps.redis)), t);
  return c && view(c, false);
}

/** GET …/deliveries: the team's delivery attempts, newest first, a page at a time. */
export async function listDeliveries(deps: WebhookDeps, team: string, query: unknown = {}): Promise<DeliveryListView> {
  const t = parseInput(Name, team, 'team');
  const q = parseInput(DeliveryListQuery, query ?? {}, 'query');
  const keys = new WebhookKeys(deps.prefix, queuePrefix(deps.prefix, deps.redis));
  const out: DeliveryListView['deliveries'] = [];
  let before = q.before;
  // The history is bounded (DEFAULTS.webhookDeliveryHistory), so a filtered read ends.
  for (;;) {
    const page = await readAttempts(deps.redis, keys, t, q.eventId === undefined ? q.limit + 1 : 200, before);
    for (const a of page) {
      if (q.eventId !== undefined && a.eventId !== q.eventId) continue;
      out.push(a);
    }
    if (q.eventId === undefined || page.length < 200 || out.length > q.limit) break;
    before = page[page.length - 1]!.id;
  }
  const deliveries = out.slice(0, q.limit);
  return { team: t, deliveries, next: out.length > q.limit ? deliveries[deliveries.length - 1]!.id : null };
}
