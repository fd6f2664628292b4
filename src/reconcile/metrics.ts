import { metricsKey, RECONCILE_DIFFERENCES, RECONCILE_LAST, RECONCILE_RUNS, RECONCILE_SETTLED, RECONCILE_SETTLED_AMOUNT } from '../metrics/families.js';
import { money, toMicros } from '../money.js';
import type { RedisConnection as Redis } from '../redis-connection.js';
import type { Finding } from './compare.js';
import type { ReconcileReport, Settlement } from './reconciler.js';

// Every kind, so the last run's gauge says 0 for a kind it did not find (a series that vanished
// would leave an alert on it undecided). A Record makes the compiler hold the list complete.
const KINDS: Record<Finding['kind'], true> = {
  'billed-outside-ledger': true,
  'amount-differs': true,
  'held-task-ended': true,
  'held-already-settled': true,
  'running-without-reservation': true,
  'held-unknown-to-provider': true,
  unpriced: true,
};
const ACTIONS: Record<Exclude<Settlement['action'], 'none'>, true> = { charged: true, refunded: true, committed: true, released: true, cleared: true };

/**
 * Writes what one reconciliation run found and settled into the metrics the service exposes:
 * one MULTI over the queue prefix's hashes (one slot on a cluster). Runs are rare and one-shot, so
 * they are written at once, not through a recorder. Amounts go as integer micro-units (HINCRBY),
 * never through a JavaScript number.
 */
export async function recordReconciliation(redis: Redis, queuePrefix: string, report: ReconcileReport, applied: boolean): Promise<void> {
  const found = new Map<string, number>(Object.keys(KINDS).map((k) => [k, 0]));
  for (const f of report.findings) if (found.has(f.kind)) found.set(f.kind, found.get(f.kind)! + 1);
  const multi = redis.multi();
  multi.hincrby(metricsKey(queuePrefix, RECONCILE_RUNS), applied ? 'apply' : 'report', 1);
  for (const [kind, n] of found) if (n > 0) multi.hincrby(metricsKey(queuePrefix, RECONCILE_DIFFERENCES), kind, n);
  multi.del(metricsKey(queuePrefix, RECONCILE_LAST));
  multi.hset(metricsKey(queuePrefix, RECONCILE_LAST), Object.fromEntries([...found].map(([k, n]) => [k, String(n)])));
  for (const s of report.settled) {
    if (s.action === 'none' || !(s.action in ACTIONS)) continue;
    multi.hincrby(metricsKey(queuePrefix, RECONCILE_SETTLED), s.action, 1);
    multi.hincrby(metricsKey(queuePrefix, RECONCILE_SETTLED_AMOUNT), s.action, toMicros(money(s.amount)));
  }
  const replies = await multi.exec();
  const failed = replies?.find(([err]) => err)?.[0];
  if (!replies || failed) throw failed ?? new Error('reconciliation metrics: the transaction was discarded');
}
