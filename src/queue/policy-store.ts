import { createHash } from 'node:crypto';
import type { RedisConnection as Redis } from '../redis-connection.js';
import type { Logger } from 'pino';
import { DEFAULTS } from '../defaults.js';
import type { LoadedPolicy } from '../policy/load.js';
import { type ActivePolicy, type PolicyVersions } from './policy-versions.js';

export type { ActivePolicy } from './policy-versions.js';

/** A policy with a digest for its version: for tests and tools that route by a policy not in Redis. */
export function activePolicy(loaded: LoadedPolicy): ActivePolicy {
  return { ...loaded, version: createHash('sha256').update(JSON.stringify([loaded.policy, loaded.card])).digest('hex').slice(0, 12) };
}

/**
 * The team policies a router decides by: the current version of each team's policy in Redis,
 * held in memory so `get` is synchronous. It loads every team at start, then follows changes:
 * a pub/sub message wakes it at once, and a cheap change counter read every second catches what
 * pub/sub loses across a reconnect, so every worker on every host sees a new version within a
 * second. A version that cannot be loaded keeps the one in force and is logged.
 */
export class PolicyStore {
  private policies = new Map<string, ActivePolicy>();
  private seen: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly onMessage = (channel: string) => {
    if (channel === this.versions.keys.channel()) void this.refresh();
  };

  constructor(
    private readonly versions: PolicyVersions,
    private readonly subscriber: Redis,
    private readonly log: Logger,
    private readonly pollMs: number = DEFAULTS.policyPollMs,
  ) {}

  get(team: string): ActivePolicy | undefined {
    return this.policies.get(team);
  }

  teams(): string[] {
    return [...this.policies.keys()];
  }

  /** Loads every team's current version (throws if Redis cannot be read), then follows changes. */
  async start(): Promise<void> {
    this.subscriber.on('message', this.onMessage);
    await this.subscriber.subscribe(this.versions.keys.channel());
    await this.load();
    this.log.info({ teams: this.teams().map((t) => `${t}@${this.policies.get(t)!.version}`) }, 'policies loaded from Redis');
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      if ((await this.versions.changeCount()) !== this.seen) await this.refresh();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'policy change counter unreadable'); // an outage is reported once by the connection
    }
  }

  /** Reads every team's head and loads the versions that moved; calls during one run coalesce into one more. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.load().catch((err: Error) => this.log.error(`policy refresh failed, keeping the policies in force: ${err.message}`));
      } while (this.again && !this.closed);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Kept for SIGHUP: a refresh from Redis. */
  reload(): Promise<void> {
    return this.refresh();
  }

  private async load(): Promise<void> {
    // The counter is read first: a change after this read is seen by the next poll.
    const count = await this.versions.changeCount();
    const next = new Map(this.policies);
    for (const team of await this.versions.teams()) {
      const head = await this.versions.head(team);
      if (!head) continue;
      const have = next.get(team);
      if (have?.version.startsWith(`${head.version}:`)) continue;
      try {
        const stored = await this.versions.version(team, head.version);
        if (!stored) continue;
        next.set(team, stored.active);
        if (have) this.log.info({ team, from: have.version, to: stored.active.version, by: stored.by }, 'policy version in force');
      } catch (err) {
        this.log.error({ team, version: head.version }, `policy version cannot be loaded, keeping the one in force: ${(err as Error).message}`);
      }
    }
    this.policies = next;
    this.seen = count;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.subscriber.off('message', this.onMessage);
    await this.refreshing;
  }
}
