import { readFileSync } from 'node:fs';
import { loadPolicyDir } from '../policy/load.js';
import { activePolicy } from '../queue/policy-store.js';
import { ServiceError } from './errors.js';
import type { PolicySource, StoredPolicy } from './policy-source.js';

/**
 * The policies of a directory, as `vidgate worker --policies DIR` routes by, read-only: until the
 * policy store in Redis (src/queue/policy-versions.ts) is merged, this is what `vidgate serve`
 * quotes and shows budgets by. Changing a policy over HTTP needs that store: here it is a 501.
 */
export class DirPolicies implements PolicySource {
  private policies = new Map<string, StoredPolicy>();

  constructor(private readonly dir: string) {
    this.reload();
  }

  reload(): void {
    const next = new Map<string, StoredPolicy>();
    for (const [team, loaded] of loadPolicyDir(this.dir)) {
      const active = activePolicy(loaded);
      next.set(team, { team, version: 1, digest: active.version, by: 'file', at: new Date().toISOString(), origin: loaded.file, format: 'yaml', source: readFileSync(loaded.file, 'utf8'), active });
    }
    this.policies = next;
  }

  async teamsList(): Promise<string[]> {
    return [...this.policies.keys()];
  }

  teams(): Promise<string[]> {
    return this.teamsList();
  }

  async current(team: string): Promise<StoredPolicy | null> {
    return this.policies.get(team) ?? null;
  }

  async history(team: string): Promise<StoredPolicy[]> {
    const p = this.policies.get(team);
    return p ? [p] : [];
  }

  async apply(): Promise<never> {
    throw new ServiceError(501, 'not-implemented', 'policies are read from a directory (--policies): change the file and reload the workers; changing a policy over HTTP needs the Redis policy store');
  }
}
