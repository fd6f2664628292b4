import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import { money, type Money } from '../money.js';
import type { TaskState } from '../providers/provider.js';
import type { KlingAdapter } from '../providers/kling/adapter.js';
import { Endpoint } from '../providers/kling/wire.js';
import { parseExternalTaskId } from '../queue/names.js';
import type { GenerateData } from '../queue/records.js';
import { actualCost } from '../queue/generate/settle.js';
import type { UnsettledJobs } from '../queue/unsettled.js';
import { compare, type Finding, type LedgerSide, type ProviderSide } from './compare.js';

export interface ReconcileOptions {
  provider: KlingAdapter;
  ledger: Ledger;
  unsettled: UnsettledJobs;
  /** The generate queue: the admission of each job (its card and variant) prices a task without a unit price. */
  generate: Queue<GenerateData>;
  /** Only tasks created at or after this time (ms since the epoch). */
  since?: number;
  /** Settle what is found; without it, only report. */
  apply?: boolean;
  log: Logger;
  /** Called as tasks are read, for progress output. */
  onProgress?: (tasksRead: number) => void;
}

export interface Settled {
  jobId: string;
  action: 'charged' | 'refunded' | 'committed' | 'released' | 'none';
  amount: string;
}

export interface ReconcileReport {
  tasksRead: number;
  jobs: number;
  findings: Finding[];
  settled: Settled[];
}

/** Reads every task vidgate created at the provider, newest first, grouped by job. */
async function providerSides(o: ReconcileOptions, onTask: () => void): Promise<Map<string, TaskState[]>> {
  const byJob = new Map<string, TaskState[]>();
  for (const endpoint of Endpoint.options) {
    for await (const task of o.provider.list(endpoint)) {
      onTask();
      if (o.since !== undefined && (task.createdAt ?? 0) < o.since) break; // newest first: the rest are older
      const ours = parseExternalTaskId(task.handle.externalId);
      if (!ours) continue;
      byJob.set(ours.jobId, [...(byJob.get(ours.jobId) ?? []), task]);
    }
  }
  return byJob;
}

/** What the provider billed for a task: its billing record, or its output priced as settlement does. */
async function billedFor(o: ReconcileOptions, jobId: string, task: TaskState): Promise<Money | null> {
  if (task.status !== 'succeeded') return money('0');
  if (task.billing) return task.billing.amount;
  const admission = (await o.generate.getJob(jobId))?.data;
  if (!admission) return null;
  const parsed = parseExternalTaskId(task.handle.externalId)!;
  return actualCost(admission, { ...admission.variant, model: parsed.model }, task, o.log).actual;
}

async function ledgerSide(o: ReconcileOptions, jobId: string): Promise<LedgerSide> {
  const r = await o.ledger.inspect(jobId);
  return { status: r?.status ?? 'unknown', charged: money(r?.charged ?? '0'), held: await o.unsettled.has(jobId) };
}

/**
 * Compares the provider's own records of every task vidgate created with the ledger, and with
 * `apply` settles each difference: a bill that landed outside the ledger is charged, a commit
 * that differs from the bill is corrected, a job held for reconciliation is committed or
 * released. Running it twice settles nothing twice (every step is idempotent in the ledger).
 */
export async function reconcile(o: ReconcileOptions): Promise<ReconcileReport> {
  let tasksRead = 0;
  const byJob = await providerSides(o, () => {
    tasksRead++;
    o.onProgress?.(tasksRead);
  });
  const findings: Finding[] = [];
  const settled: Settled[] = [];
  for (const [jobId, tasks] of byJob) {
    const provider: ProviderSide = { jobId, tasks: [] };
    for (const t of tasks) provider.tasks.push({ externalId: t.handle.externalId, status: t.status, billed: await billedFor(o, jobId, t) });
    const finding = compare(provider, await ledgerSide(o, jobId));
    if (!finding) continue;
    findings.push(finding);
    if (o.apply) settled.push(await settle(o, finding));
  }
  for (const held of await o.unsettled.list()) {
    if (!byJob.has(held.id)) findings.push({ kind: 'held-unknown-to-provider', jobId: held.id, since: held.at });
  }
  return { tasksRead, jobs: byJob.size, findings, settled };
}

async function settle(o: ReconcileOptions, f: Finding): Promise<Settled> {
  switch (f.kind) {
    case 'billed-outside-ledger':
    case 'amount-differs': {
      const r = await o.ledger.reconcile({ reservationId: f.jobId, billed: f.billed });
      const delta = money(r.delta ?? '0');
      return { jobId: f.jobId, action: delta.isZero() ? 'none' : delta.isNegative() ? 'refunded' : 'charged', amount: delta.abs().toString() };
    }
    case 'held-task-ended': {
      const billed = money(f.billed);
      const r = billed.isZero() ? await o.ledger.release({ reservationId: f.jobId, reason: 'reconciled: the provider billed nothing' }) : await o.ledger.commit({ reservationId: f.jobId, actual: billed });
      await o.unsettled.remove(f.jobId);
      o.log.info({ job: f.jobId, status: r.status }, 'held job settled by reconciliation');
      return { jobId: f.jobId, action: billed.isZero() ? 'released' : 'committed', amount: f.billed };
    }
    default:
      return { jobId: f.jobId, action: 'none', amount: '0' };
  }
}
