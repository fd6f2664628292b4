import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import { PolicyError } from '../errors.js';
import { BudgetInput } from '../ledger/schema.js';
import { loadPolicyDir, type LoadedPolicy } from '../policy/load.js';
import { parseOrThrow } from '../validation.js';

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
    // Every budget of every file is checked by the ledger's rules before the first is written:
    // a bad file must not leave the other teams' budgets half applied.
    const budgets: { file: string; input: BudgetInput }[] = [...next.values()].flatMap(({ policy, file }) => [
      ...(policy.budgets.team ? [{ file, input: { team: policy.team, ...policy.budgets.team } }] : []),
      ...Object.entries(policy.budgets.projects).map(([project, b]) => ({ file, input: { team: policy.team, project, ...b } })),
    ]);
    for (const { file, input } of budgets) parseOrThrow(BudgetInput, input, `policy file ${file}, budget of ${input.project ? `project ${input.project}` : `team ${input.team}`}`, PolicyError);
    for (const { input } of budgets) await this.ledger.setBudget(input);
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
