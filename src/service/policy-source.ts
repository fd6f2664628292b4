import type { ActivePolicy } from '../queue/policy-store.js';

// The part of the Redis policy store (src/queue/policy-versions.ts, PolicyVersions) that the
// service uses, written down as its contract so the policy routes depend on nothing more.

export interface PolicyDocument {
  text: string;
  format: 'yaml' | 'json';
  origin: string;
  baseDir?: string;
}
export interface PolicyVersionMeta {
  team: string;
  version: number;
  digest: string;
  by: string;
  at: string;
  origin: string;
  format: 'yaml' | 'json';
}
export interface StoredPolicy extends PolicyVersionMeta {
  source: string;
  active: ActivePolicy;
}
export interface PolicyChange {
  team: string;
  from: number | null;
  to: number | null;
  changed: boolean;
  summary: string[];
}

export interface PolicySource {
  /** Every team that has a policy (the dashboard's team list, the metrics' teams). */
  teams(): Promise<string[]>;
  current(team: string): Promise<StoredPolicy | null>;
  history(team: string, opts?: { limit?: number; before?: number }): Promise<PolicyVersionMeta[]>;
  /** Throws PolicyError (origin, line, field; details.where / allowed) and writes nothing on a bad policy. */
  apply(docs: PolicyDocument[], opts: { actor: string; dryRun?: boolean; onlyTeam?: string }): Promise<PolicyChange[]>;
}
