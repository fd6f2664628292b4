/**
 * Where policies live in Redis. A team's keys share the hash tag `{team}` (as the ledger's do), so
 * each team's apply is one script on one Redis Cluster node; the team list and the change counter
 * are single keys outside every team's slot.
 */
export class PolicyKeys {
  constructor(readonly prefix: string) {}

  private team(team: string): string {
    return `${this.prefix}:policy:{${team}}`;
  }

  /** Hash: version, digest of the team's current version. */
  head(team: string): string {
    return `${this.team(team)}:head`;
  }

  /** Hash: one immutable version (meta, source, card ref). */
  version(team: string, version: number): string {
    return `${this.team(team)}:v:${version}`;
  }

  /** A card a policy named by file, stored by the sha256 of its JSON (kept: admitted jobs settle with it). */
  card(team: string, sha: string): string {
    return `${this.team(team)}:card:${sha}`;
  }

  /** Set: the teams that have a policy. */
  teams(): string {
    return `${this.prefix}:policy:teams`;
  }

  /** Counter: raised by every apply that changed something; workers poll it. */
  changes(): string {
    return `${this.prefix}:policy:changes`;
  }

  /** Pub/sub: a message per apply that changed something, so workers need not wait for the poll. */
  channel(): string {
    return `${this.prefix}:policy:changed`;
  }
}
