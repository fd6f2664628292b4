// One chaos run: the plan's jobs through two worker processes while the plan's faults strike,
// then reconciliation (`vidgate reconcile --apply`, as an operator runs it), then the audit.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KlingAdapter } from '../src/providers/kling/adapter.js';
import { createClient } from '../src/queue/client.js';
import { internalJobId } from '../src/queue/names.js';
import { UnsettledJobs } from '../src/queue/unsettled.js';
import { openConnection } from '../src/redis-connection.js';
import { audit, providerSettled, type AuditReport, type Ended } from './audit.js';
import { makePlan, type ChaosPlan, type PlanOptions, type PlannedFault } from './plan.js';
import { BIN, ChaosStack, type StackOptions } from './processes.js';

export interface ChaosOptions extends Omit<PlanOptions, 'klingTimeoutMs'> {
  /** Jobs in flight at once: a new one is enqueued as one ends, so progress is steady. */
  window: number;
  redis: StackOptions['redis'];
  klingLatencyMs: number;
  klingTimeoutMs: number;
  /** Progress lines (the runner prints them; the test collects them). */
  say: (line: string) => void;
  /** Keep the run's directory (logs, the Kling state file, Redis's AOF) even when the audit passes. */
  keep?: boolean;
}

export interface ChaosReport {
  seed: number;
  ok: boolean;
  findings: string[];
  states: Record<string, number>;
  faultsStruck: string[];
  reconcile: { findings: { kind: string; jobId: string }[]; settled: { action: string }[] };
  audit: AuditReport;
  workDir: string;
}

/** Runs `vidgate reconcile --apply --json` against the run's Redis and Kling, as an operator would. */
async function reconcileApply(stack: ChaosStack, prefix: string): Promise<ChaosReport['reconcile']> {
  const child = spawn(process.execPath, [BIN, 'reconcile', '--apply', '--json', ...stack.redisArgs(), '--prefix', prefix], {
    env: { ...process.env, ...stack.redisEnv(), ...stack.klingEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`vidgate reconcile --apply exited ${code}: ${err.trim()}`);
  return JSON.parse(out) as ChaosReport['reconcile'];
}

function describeFault(f: PlannedFault, cluster: boolean): string {
  if (f.kind === 'kill-worker') return `SIGKILL worker ${f.worker} and restart it`;
  if (f.kind === 'restart-kling') return 'SIGKILL the Kling server and restart it (state file)';
  if (!cluster) return 'SIGKILL redis-server and restart it (AOF)';
  return `SIGKILL the master of ${f.shard === 'queues' ? "the queues' slot" : `team ${f.shard}'s ledger slot`}; its replica takes over`;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const plan: ChaosPlan = makePlan({ ...o, klingTimeoutMs: o.klingTimeoutMs });
  const prefix = `chaos-${o.seed}-${randomUUID().slice(0, 6)}`;
  const workDir = join(tmpdir(), prefix);
  const faults = plan.faults.filter((f) => f.kind !== 'restart-redis' || o.redis.kind !== 'url');
  const cluster = o.redis.kind === 'cluster';
  const show = (f: PlannedFault) => (cluster && f.kind === 'restart-redis' ? `failover-${f.shard}` : f.kind);
  o.say(`chaos seed ${o.seed}${cluster ? ' on a 3+3 Redis Cluster' : ''}: ${plan.jobs.length} jobs (${plan.jobs.filter((j) => j.fault).length} meet a provider failure), faults: ${faults.map((f) => `${show(f)}@${f.atJob}`).join(', ') || 'none'}; replay with CHAOS_SEED=${o.seed}`);
  const stack = await ChaosStack.start({ seed: o.seed, workDir, redis: o.redis, prefix, klingLatencyMs: o.klingLatencyMs, klingTimeoutMs: o.klingTimeoutMs }, plan.policies);
  const client = createClient({ redis: stack.redisTarget, prefix });
  const ended = new Map<string, Ended>();
  const faultsStruck: string[] = [];
  let report: ChaosReport | undefined;
  try {
    // Each fault strikes, in order, before the plan's job enqueues: the jobs before it are in flight
    // (up to the window) or ended. Enqueueing waits while it strikes, so the plan's points hold on
    // any machine; the jobs in flight meet the fault.
    let fi = 0;
    let striking: Promise<void> | null = null;
    const strike = async (f: PlannedFault) => {
      o.say(`  job ${f.atJob}, ${ended.size}/${plan.jobs.length} ended: ${describeFault(f, cluster)}`);
      faultsStruck.push(`${f.kind}@${f.atJob}`);
      if (f.kind === 'kill-worker') await stack.killWorker(f.worker);
      else if (f.kind === 'restart-redis') o.say(`    ${await stack.restartRedis(f.shard)}`);
      else await stack.restartKling();
    };
    const dueFaults = async (at: number) => {
      while (fi < faults.length && faults[fi]!.atJob <= at) {
        striking ??= strike(faults[fi]!).finally(() => {
          fi++;
          striking = null;
        });
        await striking;
      }
    };
    let next = 0;
    const one = async (): Promise<void> => {
      for (;;) {
        await dueFaults(next);
        if (next >= plan.jobs.length) return;
        const job = plan.jobs[next++]!;
        try {
          const handle = await client.enqueue(job.input);
          const r = await handle.result();
          ended.set(job.input.id, { state: r.state, ...('settlement' in r && r.settlement ? { settlement: r.settlement } : {}) });
        } catch (err) {
          ended.set(job.input.id, { state: 'error', error: (err as Error).message });
        }
        if (ended.size % Math.max(1, Math.floor(plan.jobs.length / 10)) === 0) o.say(`  ${ended.size}/${plan.jobs.length} ended`);
      }
    };
    await Promise.all(Array.from({ length: o.window }, one));

    const kling = new KlingAdapter({ baseUrl: stack.klingUrl, credentials: { apiKey: 'chaos' }, unitPrice: '1' });
    await providerSettled(kling);
    const reconcile = await reconcileApply(stack, prefix);
    o.say(`  reconcile --apply: ${reconcile.findings.length} findings`);
    const byInternal = new Map(plan.jobs.map((j) => [internalJobId(j.input.team, j.input.id), j]));
    for (const f of reconcile.findings) {
      const j = byInternal.get(f.jobId);
      o.say(`    ${f.kind}: job ${j?.input.id ?? f.jobId} (${j?.input.model ?? '?'}, provider failure: ${j?.fault ?? 'none'}; internal id ${f.jobId})`);
    }
    const redis = openConnection(stack.redisTarget, { maxRetriesPerRequest: null });
    try {
      const result = await audit(plan, ended, redis, prefix, kling);
      const held = await new UnsettledJobs(redis, prefix).list();
      if (held.length) result.findings.push(`${held.length} jobs still held for reconciliation after reconcile --apply: ${held.map((h) => h.id).join(', ')}`);
      const states: Record<string, number> = {};
      for (const e of ended.values()) {
        const key = e.state === 'failed' && e.settlement === 'held-for-reconciliation' ? 'failed (held, then reconciled)' : e.state;
        states[key] = (states[key] ?? 0) + 1;
      }
      report = { seed: o.seed, ok: result.findings.length === 0, findings: result.findings, states, faultsStruck, reconcile, audit: result, workDir };
    } finally {
      redis.disconnect();
    }
  } finally {
    await client.close().catch(() => {});
    await stack.stop();
    if (report?.ok && !o.keep) rmSync(workDir, { recursive: true, force: true });
  }
  return report;
}
