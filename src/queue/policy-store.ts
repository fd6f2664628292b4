import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import { loadPolicyDir, type LoadedPolicy } from '../policy/load.js';

/** A policy in force, with the version decisions record (a digest of what it says). */
export interface ActivePolicy extends LoadedPolicy {
  version: string;
}

/** A loaded policy with its version: a digest of the policy and its card, the same on every host. */
export function activePolicy(loaded: LoadedPolicy): ActivePolicy {
  return { ...loaded, version: createHash('sha256').update(JSON.stringify([loaded.policy, loaded.card])).digest('hex').slice(0, 12) };
}

/**
 * The team policies a worker routes by: loaded from a directory, their budgets applied to the
 * ledger before the first job, and reloaded when a file changes (or on reload()). A reload that
 * fails validation keeps the policies in force and says why.
 */
export class PolicyStore {
  private policies = new Map<string, ActivePolicy>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly ledger: Ledger,
    private readonly log: Logger,
  ) {}

  get(team: string): ActivePolicy | undefined {
    return this.policies.get(team);
  }

  teams(): string[] {
    return [...this.policies.keys()];
  }

  /** Loads every policy and applies its budgets; throws (with file, line and field) on a bad file. */
  async load(): Promise<void> {
    const next = loadPolicyDir(this.dir);
    for (const { policy } of next.values()) {
      if (policy.budgets.team) await this.ledger.setBudget({ team: policy.team, ...policy.budgets.team });
      for (const [project, b] of Object.entries(policy.budgets.projects)) {
        await this.ledger.setBudget({ team: policy.team, project, ...b });
      }
    }
    this.policies = new Map([...next].map(([team, loaded]) => [team, activePolicy(loaded)]));
    this.log.info({ dir: this.dir, teams: this.teams() }, 'policies loaded');
  }

  reload(): Promise<void> {
    this.reloading = this.reloading.then(() =>
      this.load().catch((err: Error) => this.log.error({ dir: this.dir }, `policy reload failed, keeping the policies in force: ${err.message}`)),
    );
    return this.reloading;
  }

  watch(): void {
    this.watcher = watch(this.dir, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), 200);
    });
    this.watcher.unref();
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    await this.reloading;
  }
}
