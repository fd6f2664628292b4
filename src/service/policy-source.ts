import type { PolicyChange, PolicyDocument, PolicyVersionMeta, StoredPolicy } from '../queue/policy-versions.js';

export type { PolicyChange, PolicyDocument, PolicyVersionMeta, StoredPolicy } from '../queue/policy-versions.js';

/**
 * The part of the Redis policy store (src/queue/policy-versions.ts, PolicyVersions) that the
 * service uses, so the policy routes depend on nothing more (and a read-only source can stand in).
 */
export interface PolicySource {
  /** Every team that has a policy (the dashboard's team list, the metrics' teams). */
  teams(): Promise<string[]>;
  current(team: string): Promise<StoredPolicy | null>;
  history(team: string, opts?: { limit?: number; before?: number }): Promise<PolicyVersionMeta[]>;
  /** Throws PolicyError (origin, line, field; details.where / allowed) and writes nothing on a bad policy. */
  apply(docs: PolicyDocument[], opts: { actor: string; dryRun?: boolean; onlyTeam?: string }): Promise<PolicyChange[]>;
}
