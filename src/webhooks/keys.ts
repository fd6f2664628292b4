import { LedgerKeys } from '../ledger/keys.js';

/** The queue of delivery jobs (one per event and endpoint). */
export const WEBHOOK_QUEUE = 'webhooks';
/** The consumer group the dispatchers read the queues' event streams and the audit streams with. */
export const DISPATCH_GROUP = 'vidgate-webhooks';
/** The two queues whose finished jobs are job events. */
export const SOURCE_QUEUES = ['intake', 'generate'] as const;
export type SourceQueue = (typeof SOURCE_QUEUES)[number];

/**
 * The webhooks' keys. A team's keys carry the ledger's hash tag `{team}` (one Redis Cluster slot
 * with its budgets and audit stream); `team` is always a checked Name by the time it gets here.
 */
export class WebhookKeys {
  private readonly ledger: LedgerKeys;
  /** The queues' prefix: the same as `prefix` on one server, hash-tagged on a cluster (queuePrefix). */
  constructor(
    readonly prefix: string,
    readonly queues: string = prefix,
  ) {
    this.ledger = new LedgerKeys(prefix);
  }

  private team(team: string): string {
    return `${this.prefix}:{${team}}`;
  }

  /** The team's endpoints and secret (JSON). */
  config(team: string): string {
    return `${this.team(team)}:webhooks`;
  }

  /** The team's delivery attempts, newest last, bounded. */
  deliveries(team: string): string {
    return `${this.team(team)}:webhooks:deliveries`;
  }

  /** Thresholds that fired and are not resolved yet, for budget.resolved. */
  open(team: string): string {
    return `${this.team(team)}:webhooks:open`;
  }

  /** The team's audit stream (the ledger's), where alerts are written. */
  audit(team: string): string {
    return this.ledger.audit(team);
  }

  /** Outside every team's slot: the teams with webhooks, which are all the dispatcher reads for. */
  teams(): string {
    return `${this.prefix}:webhooks:teams`;
  }

  /** BullMQ's event stream of a queue (written in the same step that finishes a job). */
  queueEvents(queue: SourceQueue): string {
    return `${this.queues}:${queue}:events`;
  }

  /** A BullMQ job's hash. */
  queueJob(queue: SourceQueue, id: string): string {
    return `${this.queues}:${queue}:${id}`;
  }
}
