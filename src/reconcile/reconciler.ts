import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import { fromMicros, money, toMicros, type Money } from '../money.js';
import type { TaskState } from '../providers/provider.js';
import { LIST_PAGE_SIZE, type KlingAdapter } from '../providers/kling/adapter.js';
import { Endpoint } from '../providers/kling/wire.js';
import { externalTaskId, parseExternalTaskId } from '../queue/names.js';
import type { ModelId } from '../catalog.js';
import { KLING_ROUTES } from '../providers/kling/models.js';
import type { GenerateData } from '../queue/records.js';
import { pricingTermsOf, readPricingTerms, type PricingTerms } from '../queue/records/admission.js';
import type { RateCard } from '../pricing/rate-card-schema.js';
import { actualCost } from '../queue/generate/settle.js';
import type { UnsettledJobs } from '../queue/unsettled.js';
import { compare, type Finding, type LedgerSide, type ProviderSide } from './compare.js';

export interface ReconcileOptions {
  provider: KlingAdapter;
  ledger: Ledger;
  unsettled: UnsettledJobs;
  /**
   * What prices a task without a billing record: the job's admission while its generate job is
   * kept (a day), else the terms the generator kept with its reservation.
   */
  generate: Queue<GenerateData>;
  /** The card an admission names (built-in, or stored with its team's policy version). */
  cardFor: (team: string, ref: string) => Promise<RateCard>;
  /** Only tasks created at or after this time (ms since the epoch). */
  since?: number;
  /** Settle what is found; without it, only report. */
  apply?: boolean;
  log: Logger;
  /** Called as tasks are read, for progress output. */
  onProgress?: (tasksRead: number) => void;
}

export interface Settlement {
  jobId: string;
  /** `cleared`: a hold whose reservation the ledger had settled already is lifted; no money moves. */
  action: 'charged' | 'refunded' | 'committed' | 'released' | 'cleared' | 'none';
  amount: string;
}

export interface ReconcileReport {
  tasksRead: number;
  jobs: number;
  findings: Finding[];
  settled: Settlement[];
}

/**
 * Reads every task vidgate created at the provider, grouped by job, each task once (a task created
 * while the pages are read shifts them: the same task can show on two pages). With `since`, a
 * page all older than it ends the endpoint's reading.
 */
async function providerSides(o: ReconcileOptions, onTask: () => void): Promise<Map<string, Map<string, TaskState>>> {
  const byJob = new Map<string, Map<string, TaskState>>();
  for (const endpoint of Endpoint.options) {
    let page: TaskState[] = [];
    for await (const task of o.provider.list(endpoint)) {
      onTask();
      page.push(task);
      if (page.length === LIST_PAGE_SIZE && o.since !== undefined && page.every((t) => (t.createdAt ?? 0) < o.since!)) break;
      if (page.length === LIST_PAGE_SIZE) page = [];
      if (o.since !== undefined && task.createdAt !== null && task.createdAt < o.since) continue;
      const ours = parseExternalTaskId(task.handle.externalId);
      if (!ours) continue;
      const tasks = byJob.get(ours.jobId) ?? new Map<string, TaskState>();
      tasks.set(task.handle.taskId, task);
      byJob.set(ours.jobId, tasks);
    }
  }
  return byJob;
}

/**
 * Every task a job may have made, whatever the list showed: one per model it may have tried, read
 * by its external id. A job's tasks can fall on both sides of `since`, or of a page.
 */
async function allTasksOf(o: ReconcileOptions, jobId: string, known: Map<string, TaskState>): Promise<TaskState[]> {
  const seen = new Set([...known.values()].map((t) => t.handle.externalId));
  for (const [model, modes] of Object.entries(KLING_ROUTES) as [ModelId, Record<string, { endpoint: Endpoint }>][]) {
    const externalId = externalTaskId(jobId, model);
    if (seen.has(externalId)) continue;
    for (const endpoint of new Set(Object.values(modes).map((r) => r.endpoint))) {
      const found = await o.provider.findOn(endpoint, externalId);
      if (found) known.set(found.handle.taskId, found);
    }
  }
  return [...known.values()];
}

/** What the provider billed for a task: its billing record, or its output priced as settlement does. */
async function billedFor(o: ReconcileOptions, jobId: string, kept: Kept, task: TaskState): Promise<Money | null> {
  if (task.status !== 'succeeded') return money('0');
  // Compared in the ledger's own unit, rounded as a commit rounds it.
  if (task.billing) return fromMicros(toMicros(task.billing.amount, 'up'));
  const priced = await pricingOf(o, jobId, kept);
  if (!priced) return null;
  const model = parseExternalTaskId(task.handle.externalId)!.model;
  const terms = { ...priced.terms, request: { ...priced.terms.request, model } };
  return fromMicros(toMicros((await actualCost({ id: jobId, team: priced.team }, terms, task, o.log, o.cardFor)).actual, 'up'));
}

/** What the reservation record keeps of a job: its team, and the terms the generator kept with it. */
type Kept = { team: string; terms: [string, string] | null } | null;

/** How a job's tasks are priced: by its admission while its generate job is kept, else by its reservation's terms; null when neither is. */
async function pricingOf(o: ReconcileOptions, jobId: string, kept: Kept): Promise<{ team: string; terms: PricingTerms } | null> {
  const admission = (await o.generate.getJob(jobId))?.data;
  if (admission) return { team: admission.variant.team, terms: pricingTermsOf(admission) };
  const terms = readPricingTerms(kept?.terms);
  return kept && terms && { team: kept.team, terms };
}

async function sideOf(o: ReconcileOptions, jobId: string, kept: Kept, tasks: TaskState[]): Promise<ProviderSide> {
  const side: ProviderSide = { jobId, tasks: [] };
  for (const t of tasks) side.tasks.push({ externalId: t.handle.externalId, status: t.status, billed: await billedFor(o, jobId, kept, t) });
  return side;
}

async function ledgerSide(o: ReconcileOptions, jobId: string): Promise<LedgerSide & { kept: Kept }> {
  const r = await o.ledger.inspect(jobId);
  return { status: r?.status ?? 'unknown', charged: money(r?.recorded ?? '0'), held: await o.unsettled.has(jobId), kept: r && { team: r.team, terms: r.terms } };
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
  const settled: Settlement[] = [];
  for (const [jobId, tasks] of byJob) {
    const ledger = await ledgerSide(o, jobId);
    let finding = compare(await sideOf(o, jobId, ledger.kept, [...tasks.values()]), ledger);
    // Before money moves, the job's every task: the list may have shown only some.
    if (finding) finding = compare(await sideOf(o, jobId, ledger.kept, await allTasksOf(o, jobId, tasks)), ledger);
    if (!finding) continue;
    findings.push(finding);
    if (o.apply) settled.push(await settle(o, finding, ledger.held));
  }
  for (const held of await o.unsettled.list()) {
    if (!byJob.has(held.id)) findings.push({ kind: 'held-unknown-to-provider', jobId: held.id, since: held.at });
  }
  return { tasksRead, jobs: byJob.size, findings, settled };
}

async function settle(o: ReconcileOptions, f: Finding, held: boolean): Promise<Settlement> {
  switch (f.kind) {
    case 'held-already-settled':
      await o.unsettled.remove(f.jobId);
      return { jobId: f.jobId, action: 'cleared', amount: '0' };
    case 'billed-outside-ledger':
    case 'amount-differs': {
      const r = await o.ledger.reconcile({ reservationId: f.jobId, billed: f.billed });
      // The ledger now holds the bill: a hold on the job has nothing left to wait for.
      if (held && r.status !== 'unknown' && r.status !== 'reserved') await o.unsettled.remove(f.jobId);
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
