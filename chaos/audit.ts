// The auditor: after every job has ended and reconciliation has run, it holds the ledger to the
// provider's own records (the local Kling server's task list, never vidgate's job results).
import type { RedisConnection as Redis } from '../src/redis-connection.js';
import { Ledger } from '../src/ledger/ledger.js';
import { fromMicros, money, sumMoney, toMicros, type Money } from '../src/money.js';
import { KlingAdapter } from '../src/providers/kling/adapter.js';
import type { TaskState } from '../src/providers/provider.js';
import { Endpoint } from '../src/providers/kling/wire.js';
import { internalJobId, parseExternalTaskId } from '../src/queue/names.js';
import { TEAMS, type ChaosPlan } from './plan.js';

/** How a job ended, as the run saw it: its result's state, or the error its handle gave. */
export type Ended = { state: 'completed' | 'failed' | 'rejected' | 'cancelled'; settlement?: string } | { state: 'error'; error: string };

export interface ScopeAudit {
  scope: string;
  limit: string;
  spent: string;
  reserved: string;
  /** What the provider billed for the jobs of this scope, from its own task list. */
  billed: string;
}

export interface AuditReport {
  findings: string[];
  scopes: ScopeAudit[];
  tasks: number;
}

/** Every task the provider holds, read through its list endpoint as reconciliation reads it. */
export async function providerTasks(kling: KlingAdapter): Promise<TaskState[]> {
  const all: TaskState[] = [];
  for (const endpoint of Endpoint.options) for await (const t of kling.list(endpoint)) all.push(t);
  return all;
}

const ENDED = new Set(['succeeded', 'failed']);

/** Waits (a bounded poll: nothing to await) until the provider has ended every task, so every bill is final. */
export async function providerSettled(kling: KlingAdapter, maxLooks = 600): Promise<void> {
  for (let look = 0; look < maxLooks; look++) {
    if ((await providerTasks(kling)).every((t) => ENDED.has(t.status))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the provider still runs tasks after ${maxLooks} looks`);
}

const billedOf = (t: TaskState): Money => (t.status === 'succeeded' && t.billing ? fromMicros(toMicros(t.billing.amount, 'up')) : money('0'));

export async function audit(plan: ChaosPlan, ended: Map<string, Ended>, redis: Redis, prefix: string, kling: KlingAdapter): Promise<AuditReport> {
  const findings: string[] = [];
  const ledger = new Ledger({ redis, prefix, actor: 'chaos-audit' });
  const byInternal = new Map(plan.jobs.map((j) => [internalJobId(j.input.team, j.input.id), j]));

  // Every job ended, once, in a final state.
  for (const j of plan.jobs) {
    const e = ended.get(j.input.id);
    if (!e) findings.push(`job ${j.input.id} never ended`);
    else if (e.state === 'error') findings.push(`job ${j.input.id} ended without a result: ${e.error}`);
    else if (e.state === 'cancelled') findings.push(`job ${j.input.id} was cancelled, though no one cancelled it`);
  }

  // No task created twice: one task per external id, and one per job (a job moves to another
  // model only before a task was accepted).
  const tasks = await providerTasks(kling);
  const perExternal = new Map<string, number>();
  const perJob = new Map<string, TaskState[]>();
  for (const t of tasks) {
    perExternal.set(t.handle.externalId, (perExternal.get(t.handle.externalId) ?? 0) + 1);
    const ours = parseExternalTaskId(t.handle.externalId);
    if (!ours || !byInternal.has(ours.jobId)) {
      findings.push(`the provider holds task ${t.handle.taskId} (${t.handle.externalId}) of no job in the plan`);
      continue;
    }
    perJob.set(ours.jobId, [...(perJob.get(ours.jobId) ?? []), t]);
  }
  for (const [ext, n] of perExternal) if (n > 1) findings.push(`external id ${ext} was created ${n} times`);
  for (const [id, ts] of perJob) {
    const job = byInternal.get(id)!;
    if (ts.length > 1) findings.push(`job ${job.input.id} has ${ts.length} provider tasks (${ts.map((t) => t.handle.externalId).join(', ')})`);
    if (ended.get(job.input.id)?.state === 'rejected') findings.push(`job ${job.input.id} was rejected, yet the provider ran a task for it`);
  }

  // Each reservation ended exactly once in the ledger's audit stream.
  for (const team of Object.keys(TEAMS)) {
    const entries = await ledger.audit(team, { count: 1_000_000 });
    const resolved = new Map<string, number>();
    for (const e of entries) if (['committed', 'released', 'expired'].includes(e.op)) resolved.set(e.fields.id!, (resolved.get(e.fields.id!) ?? 0) + 1);
    const reserved = new Set(entries.filter((e) => e.op === 'reserve').map((e) => e.fields.id!));
    for (const id of reserved) {
      const n = resolved.get(id) ?? 0;
      if (n !== 1) findings.push(`reservation ${id} (job ${byInternal.get(id)?.input.id ?? '?'}) was resolved ${n} times`);
    }
  }

  // Per scope: spent within the limit, spent equal to the provider's bills, nothing left reserved.
  const scopes: ScopeAudit[] = [];
  for (const [team, projects] of Object.entries(TEAMS)) {
    const billedIn = (project?: string) =>
      sumMoney(
        [...perJob]
          .filter(([id]) => project === undefined ? byInternal.get(id)!.input.team === team : byInternal.get(id)!.input.team === team && byInternal.get(id)!.input.project === project)
          .flatMap(([, ts]) => ts.map(billedOf)),
      );
    for (const project of [undefined, ...projects]) {
      const b = await ledger.getBudget(project === undefined ? { team } : { team, project });
      if (!b) {
        if (project !== undefined) findings.push(`${team}/${project} has no budget`);
        continue;
      }
      const scope = project === undefined ? team : `${team}/${project}`;
      const billed = billedIn(project);
      scopes.push({ scope, limit: b.limit, spent: b.spent, reserved: b.reserved, billed: billed.toString() });
      if (money(b.spent).gt(b.limit)) findings.push(`${scope}: spent ${b.spent} is over its limit ${b.limit}`);
      if (!money(b.spent).equals(billed)) findings.push(`${scope}: spent ${b.spent}, but the provider billed ${billed.toString()}`);
      if (!money(b.reserved).isZero()) findings.push(`${scope}: ${b.reserved} still reserved after every job ended`);
    }
  }
  return { findings, scopes, tasks: tasks.length };
}
