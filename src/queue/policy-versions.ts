import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisConnection as Redis } from '../redis-connection.js';
import { DEFAULTS } from '../defaults.js';
import { PolicyError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { BudgetInput } from '../ledger/schema.js';
import { Name } from '../names.js';
import { policyChanges } from '../policy/diff.js';
import { parsePolicy, type LoadedPolicy, type PolicyFormat } from '../policy/load.js';
import { builtInRateCards, DEFAULT_RATE_CARD, loadRateCard, rateCardRef } from '../pricing/rate-cards.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import { scriptCommand, type ScriptCall } from '../redis-script.js';
import { parseOrThrow } from '../validation.js';
import { isBuiltInCard, PolicyCards, storedCardRef } from './policy-cards.js';
import { PolicyKeys } from './policy-keys.js';

const APPLY = readFileSync(new URL('./lua/apply-policy.lua', import.meta.url), 'utf8');

/** A policy in force, with the version decisions record: `<version>:<digest>` for a stored one. */
export interface ActivePolicy extends LoadedPolicy {
  version: string;
}

export interface PolicyDocument {
  text: string;
  format: PolicyFormat;
  /** A file path, or e.g. `PUT /v1/teams/t1/policy`. */
  origin: string;
  /** Where a `rateCard` file path is resolved; without it only built-in cards may be named. Cards are stored with the version, so workers need no file. */
  baseDir?: string;
}

export interface PolicyVersionMeta {
  team: string;
  /** 1, 2, 3… per team. */
  version: number;
  digest: string;
  by: string;
  /** ISO 8601, on Redis's clock. */
  at: string;
  origin: string;
  format: PolicyFormat;
}

export interface StoredPolicy extends PolicyVersionMeta {
  /** The text as applied. */
  source: string;
  active: ActivePolicy;
}

export interface PolicyChange {
  team: string;
  from: number | null;
  /** null: unchanged. */
  to: number | null;
  changed: boolean;
  /** What changed, one human line each (budgets, card, rules). */
  summary: string[];
}

/** The digest of what a policy says (its parsed rules and its card): comments and layout do not count. */
export function policyDigest(loaded: { policy: LoadedPolicy['policy']; card: RateCard }): string {
  return createHash('sha256').update(JSON.stringify([loaded.policy, loaded.card])).digest('hex').slice(0, 12);
}

/** The version string decisions and admissions record. */
export const versionName = (version: number, digest: string) => `${version}:${digest}`;

interface Parsed {
  doc: PolicyDocument;
  loaded: LoadedPolicy;
  digest: string;
  card: { ref: string; json?: string };
  budgets: BudgetInput[];
}

const CONFLICT_RETRIES = 20;

/**
 * Team policies in Redis, versioned: every change is a new immutable version (who, when, from
 * where, the text as applied, its card), the last `DEFAULTS.policyHistory` kept per team. An apply
 * validates every document (policy rules, card, the ledger's budget rules) before anything is
 * written; see `apply` for what "all or nothing" means across teams.
 */
export class PolicyVersions {
  readonly keys: PolicyKeys;
  private readonly redis: Redis;
  private readonly ledger: Ledger;
  private readonly cards: PolicyCards;
  private readonly applyScript: ScriptCall;
  private readonly keep: number;

  constructor(opts: { redis: Redis; prefix: string; ledger?: Ledger; keep?: number }) {
    this.redis = opts.redis;
    this.keys = new PolicyKeys(opts.prefix);
    this.ledger = opts.ledger ?? new Ledger({ redis: opts.redis, prefix: opts.prefix, actor: 'policy' });
    this.cards = new PolicyCards(opts.redis, opts.prefix);
    this.applyScript = scriptCommand(opts.redis, 'vidgateApplyPolicy', APPLY);
    this.keep = opts.keep ?? DEFAULTS.policyHistory;
  }

  private team(team: string): string {
    return parseOrThrow(Name, team, 'team', PolicyError);
  }

  /** The team's current version number and digest, or null. */
  async head(team: string): Promise<{ version: number; digest: string } | null> {
    const [version, digest] = await this.redis.hmget(this.keys.head(this.team(team)), 'version', 'digest');
    return version && digest ? { version: Number(version), digest } : null;
  }

  async current(team: string): Promise<StoredPolicy | null> {
    const head = await this.head(team);
    return head ? this.version(team, head.version) : null;
  }

  /** One version as stored, or null when it never existed or fell out of the kept history. */
  async version(team: string, version: number): Promise<StoredPolicy | null> {
    const h = await this.redis.hgetall(this.keys.version(this.team(team), version));
    if (!h.version) return null;
    const meta = metaOf(h);
    const card = await this.cards.load(meta.team, h.cardRef!);
    const loaded = parsePolicy(h.source!, meta.origin, { format: meta.format, cardFor: () => ({ card, cardRef: h.cardRef! }) });
    return { ...meta, source: h.source!, active: { ...loaded, version: versionName(meta.version, meta.digest) } };
  }

  /** Newest first, at most `limit` (default and most: the kept history), those below `before` if given. */
  async history(team: string, opts: { limit?: number; before?: number } = {}): Promise<PolicyVersionMeta[]> {
    const head = await this.head(team);
    if (!head) return [];
    const limit = Math.max(1, Math.min(opts.limit ?? this.keep, this.keep));
    const top = Math.min(head.version, opts.before !== undefined ? opts.before - 1 : head.version);
    const fields = ['team', 'version', 'digest', 'by', 'at', 'origin', 'format'] as const;
    const pipe = this.redis.pipeline();
    const wanted: number[] = [];
    for (let v = top; v >= 1 && wanted.length < limit; v--) wanted.push(v);
    for (const v of wanted) pipe.hmget(this.keys.version(team, v), ...fields);
    const replies = (await pipe.exec()) ?? [];
    const out: PolicyVersionMeta[] = [];
    for (const [err, values] of replies) {
      if (err) throw err;
      const row = values as (string | null)[];
      if (row[1] === null) break; // fell out of the kept history
      out.push(metaOf(Object.fromEntries(fields.map((f, i) => [f, row[i]!]))));
    }
    return out;
  }

  async teams(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.teams())).sort();
  }

  /** The change counter workers poll: any apply that changed a team raises it. */
  async changeCount(): Promise<string> {
    return (await this.redis.get(this.keys.changes())) ?? '0';
  }

  /** Parses and validates one document; its card is read (from a file only with `baseDir`). */
  private parse(doc: PolicyDocument): Parsed {
    let stored: { ref: string; json?: string } = { ref: DEFAULT_RATE_CARD };
    const loaded = parsePolicy(doc.text, doc.origin, {
      format: doc.format,
      cardFor: (named) => {
        const id = named || DEFAULT_RATE_CARD;
        if (isBuiltInCard(id)) {
          stored = { ref: id };
          return { card: loadRateCard(id), cardRef: id };
        }
        // A request body must not read the server's files: only a policy file names a card file.
        if (doc.baseDir === undefined) {
          throw new PolicyError(`${id} is not a built-in card (${builtInRateCards().map((c) => c.id).join(', ')}); a card file can be named only by a policy file`);
        }
        const card = loadRateCard(rateCardRef(id, doc.baseDir));
        stored = storedCardRef(card);
        return { card, cardRef: stored.ref };
      },
    });
    const { policy } = loaded;
    const budgets: BudgetInput[] = [
      ...(policy.budgets.team ? [{ team: policy.team, ...policy.budgets.team }] : []),
      ...Object.entries(policy.budgets.projects).map(([project, b]) => ({ team: policy.team, project, ...b })),
    ];
    // The ledger's own rules, before anything is written.
    for (const b of budgets) parseOrThrow(BudgetInput, b, `policy ${doc.origin}, budget of ${b.project ? `project ${b.project}` : `team ${b.team}`}`, PolicyError);
    return { doc, loaded, digest: policyDigest(loaded), card: stored, budgets };
  }

  private async changeOf(p: Parsed): Promise<{ change: PolicyChange; head: { version: number; digest: string } | null }> {
    const team = p.loaded.policy.team;
    const head = await this.head(team);
    if (head?.digest === p.digest) return { head, change: { team, from: head.version, to: null, changed: false, summary: ['unchanged'] } };
    const before = head ? await this.version(team, head.version) : null;
    const summary = policyChanges(before ? { policy: before.active.policy, card: before.active.card } : null, p.loaded);
    return { head, change: { team, from: head?.version ?? null, to: (head?.version ?? 0) + 1, changed: true, summary } };
  }

  /**
   * Parses and validates every document (policy rules, card, the ledger's budget rules) before
   * anything is written; a bad one throws a PolicyError naming its origin, line and field, and
   * nothing is written. Then, per team: its budgets go to the ledger and its new version becomes
   * current in one atomic script (one Redis Cluster slot per team), and workers are told. Teams
   * are written one after another: a crash between two leaves the earlier ones applied, and
   * applying the same documents again completes the rest (unchanged teams stay as they are).
   * Content equal to the current version's is unchanged (no new version). `onlyTeam` refuses a
   * document for another team.
   */
  async apply(docs: PolicyDocument[], opts: { actor: string; dryRun?: boolean; onlyTeam?: string }): Promise<PolicyChange[]> {
    if (docs.length === 0) throw new PolicyError('no policy to apply', { allowed: 'one or more policy documents' });
    const errors: PolicyError[] = [];
    const parsed: Parsed[] = [];
    for (const doc of docs) {
      try {
        parsed.push(this.parse(doc));
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        errors.push(err);
      }
    }
    const byTeam = new Map<string, Parsed>();
    for (const p of parsed) {
      const team = p.loaded.policy.team;
      const other = byTeam.get(team);
      if (other) errors.push(new PolicyError(`team ${team} has two policies: ${other.doc.origin} and ${p.doc.origin}`, { where: p.doc.origin, field: 'team' }));
      else if (opts.onlyTeam !== undefined && team !== opts.onlyTeam) {
        errors.push(new PolicyError(`${p.doc.origin}: the policy is for team ${team}, not ${opts.onlyTeam}`, { where: p.doc.origin, field: 'team', allowed: `team: ${opts.onlyTeam}` }));
      } else byTeam.set(team, p);
    }
    if (errors.length === 1) throw errors[0]!;
    if (errors.length > 1) throw new PolicyError(`${errors.length} policies are not valid; nothing was applied:\n${errors.map((e) => e.message).join('\n')}`, errors[0]!.details);

    if (opts.dryRun) return Promise.all([...byTeam.values()].map(async (p) => (await this.changeOf(p)).change));
    const changes: PolicyChange[] = [];
    for (const p of byTeam.values()) changes.push(await this.write(p, opts.actor));
    if (changes.some((c) => c.changed)) {
      await this.redis.incr(this.keys.changes());
      await this.redis.publish(this.keys.channel(), JSON.stringify(changes.filter((c) => c.changed).map((c) => ({ team: c.team, version: c.to }))));
    }
    return changes;
  }

  /** One team: budgets into the ledger, then the version, retrying when another apply got there first. */
  private async write(p: Parsed, actor: string): Promise<PolicyChange> {
    const team = p.loaded.policy.team;
    await this.redis.sadd(this.keys.teams(), team);
    // Budgets first: a worker that sees the new version finds its projects' budgets in the ledger.
    for (const b of p.budgets) await this.ledger.setBudget(b);
    for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
      const { head, change } = await this.changeOf(p);
      if (!change.changed) return change;
      const expected = head?.version ?? 0;
      const next = expected + 1;
      const keys = [this.keys.head(team), this.keys.version(team, next), next > this.keep ? this.keys.version(team, next - this.keep) : this.keys.version(team, next)];
      const sha = p.card.ref.startsWith('sha256:') ? p.card.ref.slice('sha256:'.length) : undefined;
      if (sha) keys.push(this.keys.card(team, sha));
      const args = [expected, p.digest, actor, p.doc.origin, p.doc.format, p.doc.text, p.card.ref, p.doc.baseDir ?? '', team, p.card.json ?? ''];
      const [status, version] = (await this.applyScript(keys, args)) as [string, number, number];
      if (status === 'applied') return { ...change, to: version };
      if (status === 'unchanged') return { team, from: version, to: null, changed: false, summary: ['unchanged'] };
      // conflict: another apply made a version in between; compare against that one
    }
    throw new Error(`team ${team}: the policy changed under this apply ${CONFLICT_RETRIES} times in a row; try again`);
  }
}

function metaOf(h: Record<string, string>): PolicyVersionMeta {
  return {
    team: h.team!,
    version: Number(h.version),
    digest: h.digest!,
    by: h.by!,
    at: new Date(Number(h.at)).toISOString(),
    origin: h.origin!,
    format: h.format === 'json' ? 'json' : 'yaml',
  };
}
