import { Period } from './windows.js';

/**
 * The key layout. Every key of a team carries the hash tag `{team}`, so one team's keys share a
 * Redis Cluster slot and each script touches one node; teams spread across nodes. The budget
 * window is part of a balance key: a new window starts empty, with no reset job.
 */
export class LedgerKeys {
  constructor(readonly prefix: string) {}

  private team(team: string): string {
    return `${this.prefix}:{${team}}`;
  }

  budget(team: string, project?: string): string {
    return project === undefined ? `${this.team(team)}:budget` : `${this.team(team)}:budget:p:${project}`;
  }

  balance(team: string, project: string | undefined, window: string): string {
    return `${this.balanceStem(team, project)}${window}`;
  }

  /**
   * A balance key without its window. Scripts that settle a reservation get it beside the keys
   * and check each balance key is exactly this plus the window the reservation recorded, so the
   * layout lives here alone (lua/include/scopes.lua).
   */
  balanceStem(team: string, project: string | undefined): string {
    return project === undefined ? `${this.team(team)}:bal:` : `${this.team(team)}:bal:p:${project}:`;
  }

  /** One balance key per period, in Period order (none, daily, weekly, monthly). */
  balances(team: string, project: string | undefined, windows: Record<Period, string>): string[] {
    return Period.options.map((p) => this.balance(team, project, windows[p]));
  }

  reservation(team: string, id: string): string {
    return `${this.team(team)}:res:${id}`;
  }

  leases(team: string): string {
    return `${this.team(team)}:leases`;
  }

  audit(team: string): string {
    return `${this.team(team)}:audit`;
  }

  /**
   * The spend history: one hash per team and day (fields "<project>|<model>|<group>" of packed
   * measures, lua/include/history.lua), and per
   * month a bounded zset of the most expensive jobs. Scripts check the keys they are given
   * against this stem plus the day the reservation recorded (lua/include/history.lua).
   */
  historyStem(team: string): string {
    return `${this.team(team)}:hist:`;
  }

  history(team: string, day: string): string {
    return `${this.historyStem(team)}${day}`;
  }

  /** `month` is YYYY-MM. */
  historyTop(team: string, month: string): string {
    return `${this.historyStem(team)}top:${month}`;
  }

  /** Outside every team's slot: which team a reservation id belongs to (ids are global). */
  locator(id: string): string {
    return `${this.prefix}:locator:${id}`;
  }

  /** Outside every team's slot: the teams with budgets, for the reaper. */
  teams(): string {
    return `${this.prefix}:teams`;
  }
}
