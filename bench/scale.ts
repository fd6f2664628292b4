// bench/scale: the same storm of jobs (BENCH_JOBS, default 20,000, over 30 teams, each with a
// policy and budgets of its own) through vidgate's router on one Redis and on a 3-master Redis
// Cluster, both private redis-servers this bench starts. The router workers run in BENCH_PROCS
// child processes (default 3) so one Node process is not the only bottleneck; this process
// enqueues. Printed per setup: jobs per second from the first enqueue until every job is decided,
// the Redis CPU per job of each node (INFO cpu deltas), and the Redis tier's capacity, 1 / the
// busiest node's CPU per job: the jobs per second the tier could take if its busiest node had a
// core of its own. A third setup prototypes spreading the queues (see below); a fourth, a cluster of
// one node, shows what cluster mode itself costs.
// Run: npm run bench -- scale   (BENCH_JOBS, BENCH_PROCS, BENCH_CONCURRENCY per process, BENCH_ROUNDS)
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { startRedisCluster, type OwnedCluster } from '../scripts/redis-cluster.js';
import { startRedisServer, type OwnedRedis } from '../scripts/redis-server.js';
import type { JobInput } from '../src/job.js';
import { createClient, type VidgateClient } from '../src/queue/client.js';
import { QUEUE_GENERATE, QUEUE_INTAKE } from '../src/queue/names.js';
import { openConnection, queuePrefix, type RedisConnection, type RedisTarget } from '../src/redis-connection.js';
import { median } from './stats.js';
import type { ScaleRouterCommand, ScaleRouterConfig, ScaleRouterMessage } from './scale-router.js';

const TEAMS = Array.from({ length: 30 }, (_, i) => `team-${String(i).padStart(2, '0')}`);

/** Three kinds of policy, and every tenth team on a tight project budget, so decisions differ by team. */
function policyOf(team: string, i: number): string {
  const project = i % 10 === 9 ? '40' : '100000000';
  const rules = [
    'rules:\n  staging: { draft: 720p }\n  audioDeferral: { when: always }\n  fallback: { direction: cheaper }\n  fullQualityCeiling: 0.9\n  ladder: [drop-deferrable-audio, downscale-720p, cheaper-model]\n',
    'rules:\n  fallback: { direction: any, maxPremium: "0.5", reserve: top-up }\n  ladder: [downscale-720p]\n',
    'rules:\n  staging: { draft: 720p }\n  ladder: [drop-deferrable-audio]\n',
  ][i % 3]!;
  return `team: ${team}\nbudgets:\n  team: { limit: "100000000", period: monthly }\n  projects:\n    p: { limit: "${project}", period: monthly }\n${rules}`;
}

const SHAPES = [
  { model: 'kling-3.0', resolution: '1080p', audio: 'deferrable', durationSeconds: 10, stage: 'draft', prompt: 'a storm' },
  { model: 'kling-3.0', resolution: '720p', audio: 'none', durationSeconds: 5, prompt: 'a quiet street' },
  { model: 'kling-o3', resolution: '1080p', audio: 'deferrable', durationSeconds: 8, stage: 'draft', prompt: 'a draft pass' },
] as const;

const jobOf = (j: number): JobInput => ({ id: `s${j}`, team: TEAMS[j % TEAMS.length]!, project: 'p', ...SHAPES[j % SHAPES.length]! }) as JobInput;

/** A Redis tier under test: where it is, and each node whose CPU is counted (every master). */
interface Setup {
  name: string;
  target: RedisTarget;
  nodes: OwnedRedis[];
  /** The prefixes of one run, and which prefix each team's jobs go to. */
  layout(base: string): Promise<{ prefixes: string[]; prefixOf: (team: string) => string }>;
  /** What each node holds in that layout, for the printout. */
  roles(prefixes: string[]): Promise<Map<OwnedRedis, string>>;
}

interface RunResult {
  jobsPerSecond: number;
  /** Redis CPU µs per job, per node (the setup's order). */
  redisPerJob: number[];
  /** Commands per job, over every node. */
  commandsPerJob: number;
  /** CPU µs per job of the router processes and of this (enqueueing) process. */
  nodePerJob: { routers: number; client: number };
  forwarded: number;
  rejected: number;
  roles: string[];
}

/** A node's counters so far: CPU µs (INFO cpu) and commands. */
interface NodeStats {
  cpu: number;
  commands: number;
}

async function nodeStats(port: number): Promise<NodeStats> {
  const r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  try {
    const info = await r.info();
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    return { cpu: (field('used_cpu_user') + field('used_cpu_sys')) * 1e6, commands: field('total_commands_processed') };
  } finally {
    r.disconnect();
  }
}

const ROUTER = join(dirname(fileURLToPath(import.meta.url)), 'scale-router.js');

/** Forks one router process and resolves once its workers are up. */
function startRouter(config: ScaleRouterConfig): Promise<ChildProcess> {
  const child = fork(ROUTER, [], { env: { ...process.env, VIDGATE_SCALE_ROUTER: JSON.stringify(config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    // A router that cannot reach Redis retries for ever: give up on it instead of hanging the bench.
    const stuck = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`a router process was not ready within 120 s (${JSON.stringify(config.target)})`));
    }, 120_000);
    child.once('message', (m: ScaleRouterMessage) => {
      clearTimeout(stuck);
      if ('ready' in m) resolve(child);
      else reject(new Error('router: unexpected first message'));
    });
    child.once('exit', (code) => {
      clearTimeout(stuck);
      reject(new Error(`a router process exited (${code}) before it was ready`));
    });
  });
}

function stopRouter(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: ScaleRouterMessage) => resolve('cpuMicros' in m ? m.cpuMicros : 0));
    child.send('stop' satisfies ScaleRouterCommand);
  });
}

/** Counts the intake jobs that ended (decided: forwarded or rejected), summed over the prefixes. */
async function decided(queues: Queue[]): Promise<number> {
  let n = 0;
  for (const q of queues) {
    const c = await q.getJobCounts('completed', 'failed');
    n += (c.completed ?? 0) + (c.failed ?? 0);
  }
  return n;
}

async function runStorm(setup: Setup, base: string, policiesDir: string, o: { jobs: number; procs: number; concurrency: number }): Promise<RunResult> {
  const { prefixes, prefixOf } = await setup.layout(base);
  const byPrefix = new Map<string, JobInput[]>(prefixes.map((p) => [p, []]));
  for (let j = 0; j < o.jobs; j++) {
    const job = jobOf(j);
    byPrefix.get(prefixOf(job.team))!.push(job);
  }
  // The router concurrency of a process is split over its prefixes by their share of the jobs:
  // about the same total in every setup, and no prefix starved.
  const concurrency = prefixes.map((p) => Math.max(1, Math.round((o.concurrency * byPrefix.get(p)!.length) / o.jobs)));
  const routers: ChildProcess[] = [await startRouter({ target: setup.target, prefixes, concurrency, policiesDir })];
  const more = await Promise.allSettled(Array.from({ length: o.procs - 1 }, () => startRouter({ target: setup.target, prefixes, concurrency })));
  for (const m of more) if (m.status === 'fulfilled') routers.push(m.value);
  const failed = more.find((m) => m.status === 'rejected');
  if (failed) {
    // None of the started ones may outlive the bench.
    for (const r of routers) r.kill('SIGKILL');
    throw failed.reason;
  }
  const clients = new Map<string, VidgateClient>(prefixes.map((p) => [p, createClient({ redis: setup.target, prefix: p })]));
  const counter: RedisConnection = openConnection(setup.target, { maxRetriesPerRequest: null });
  const intakes = prefixes.map((p) => new Queue(QUEUE_INTAKE, { connection: counter, prefix: queuePrefix(p, setup.target) }));
  try {
    const stats0 = await Promise.all(setup.nodes.map((n) => nodeStats(n.port)));
    for (const r of routers) r.send('mark' satisfies ScaleRouterCommand);
    const client0 = process.cpuUsage();
    const start = performance.now();
    // The storm: each prefix's jobs in batches of 500, the prefixes side by side.
    await Promise.all(
      [...byPrefix].map(async ([prefix, jobs]) => {
        for (let i = 0; i < jobs.length; i += 500) await clients.get(prefix)!.enqueueMany(jobs.slice(i, i + 500));
      }),
    );
    // A bounded poll: the jobs end in other processes, with no event here to await.
    while ((await decided(intakes)) < o.jobs) await new Promise((r) => setTimeout(r, 50));
    const seconds = (performance.now() - start) / 1000;
    const client = process.cpuUsage(client0);
    const stats1 = await Promise.all(setup.nodes.map((n) => nodeStats(n.port)));
    const delta = (f: keyof NodeStats) => stats1.map((x, i) => (x[f] - stats0[i]![f]) / o.jobs);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const routerCpu = await Promise.all(routers.map(stopRouter));
    let forwarded = 0;
    for (const p of prefixes) {
      const generate = new Queue(QUEUE_GENERATE, { connection: counter, prefix: queuePrefix(p, setup.target) });
      const c = await generate.getJobCounts('wait', 'prioritized', 'delayed');
      forwarded += (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0);
      await generate.close();
    }
    const roles = await setup.roles(prefixes);
    return {
      jobsPerSecond: o.jobs / seconds,
      redisPerJob: delta('cpu'),
      commandsPerJob: sum(delta('commands')),
      nodePerJob: { routers: routerCpu.reduce((a, b) => a + b, 0) / o.jobs, client: (client.user + client.system) / o.jobs },
      forwarded,
      rejected: o.jobs - forwarded,
      roles: setup.nodes.map((n) => roles.get(n) ?? ''),
    };
  } finally {
    await Promise.all(intakes.map((q) => q.close()));
    counter.disconnect();
    await Promise.all([...clients.values()].map((c) => c.close()));
    // A router asked to stop closes its workers and exits; one that does not within 10 s is killed.
    await Promise.all(
      routers.map(async (r) => {
        if (r.exitCode !== null || r.signalCode !== null) return;
        const exited = new Promise((resolve) => r.once('exit', resolve));
        if (!(await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(resolve, 10_000, false))]))) r.kill('SIGKILL');
        await exited;
      }),
    );
    // These servers are this bench's own: emptied between runs so each run starts alike.
    for (const n of setup.nodes) {
      const r = new Redis(n.port, '127.0.0.1');
      await r.flushall();
      r.disconnect();
    }
  }
}

function oneRedis(server: OwnedRedis): Setup {
  return {
    name: 'one Redis',
    target: server.url,
    nodes: [server],
    layout: async (base) => ({ prefixes: [base], prefixOf: () => base }),
    roles: async () => new Map([[server, 'everything']]),
  };
}

/** Who holds what on a cluster: the queues' slot of each prefix, and the teams' ledger slots. */
async function clusterRoles(cluster: OwnedCluster, prefixes: string[]): Promise<Map<OwnedRedis, string>> {
  const roles = new Map<OwnedRedis, string[]>();
  const add = (n: OwnedRedis, what: string) => roles.set(n, [...(roles.get(n) ?? []), what]);
  for (const p of prefixes) add((await cluster.masterOf(calculateSlot(p))).master, prefixes.length === 1 ? 'the queues' : `queues ${p.slice(p.lastIndexOf('-') + 1)}`);
  const teams = new Map<OwnedRedis, number>();
  for (const t of TEAMS) {
    const m = (await cluster.masterOf(calculateSlot(t))).master;
    teams.set(m, (teams.get(m) ?? 0) + 1);
  }
  for (const [m, n] of teams) add(m, `${n} teams' ledgers`);
  return new Map([...roles].map(([m, w]) => [m, w.join(', ')]));
}

/**
 * A cluster of one master holding every slot: the cluster's client and server code paths (no
 * auto-pipelining, a slot check per key) without spreading, so the cost of cluster mode itself and
 * the cost of splitting one stream of commands over three servers can be told apart.
 */
async function startOneNodeCluster(): Promise<OwnedRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'vidgate-cluster1-'));
  const node = await startRedisServer({ dir, ownDir: true, extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-announce-ip', '127.0.0.1'] });
  const r = new Redis(node.port, '127.0.0.1');
  try {
    await r.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    // A bounded poll: the node declares itself ok on its next cron tick.
    for (let i = 0; !(await r.cluster('INFO')).includes('cluster_state:ok'); i++) {
      if (i > 200) throw new Error('a one-node cluster did not come up');
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    r.disconnect();
  }
  return node;
}

function oneNodeCluster(node: OwnedRedis): Setup {
  return {
    name: 'one-node cluster (cluster mode alone)',
    target: { clusterNodes: [{ host: '127.0.0.1', port: node.port }] },
    nodes: [node],
    layout: async (base) => ({ prefixes: [base], prefixOf: () => base }),
    roles: async () => new Map([[node, 'everything']]),
  };
}

function clusterOneSlot(cluster: OwnedCluster): Setup {
  return {
    name: '3-master cluster',
    target: cluster.target,
    nodes: cluster.nodes,
    layout: async (base) => ({ prefixes: [base], prefixOf: () => base }),
    roles: (prefixes) => clusterRoles(cluster, prefixes),
  };
}

/**
 * The prototype of spreading the queues (vidgate itself keeps one prefix: all its queues in one
 * slot): one prefix per master, chosen by name so that its hash slot lands there, and each team's
 * jobs on the prefix of the master that holds its ledger. Each prefix is a full vidgate
 * deployment (its own queues; the teams' ledgers under it), which is what sharding the intake and
 * generate queues by team would give one deployment.
 */
function clusterSharded(cluster: OwnedCluster): Setup {
  return {
    name: '3-master cluster, queues by team (prototype)',
    target: cluster.target,
    nodes: cluster.nodes,
    async layout(base) {
      const prefixOfMaster = new Map<OwnedRedis, string>();
      for (let i = 0; prefixOfMaster.size < cluster.nodes.length; i++) {
        if (i > 10_000) throw new Error('no prefix found for every master');
        const m = (await cluster.masterOf(calculateSlot(`${base}-s${i}`))).master;
        if (!prefixOfMaster.has(m)) prefixOfMaster.set(m, `${base}-s${i}`);
      }
      const byTeam = new Map<string, string>();
      for (const t of TEAMS) byTeam.set(t, prefixOfMaster.get((await cluster.masterOf(calculateSlot(t))).master)!);
      return { prefixes: [...prefixOfMaster.values()], prefixOf: (team) => byTeam.get(team)! };
    },
    roles: (prefixes) => clusterRoles(cluster, prefixes),
  };
}

const micros = (x: number) => `${x.toFixed(0)} µs`;

export async function benchScale(
  jobs = Number(process.env.BENCH_JOBS ?? 20_000),
  procs = Number(process.env.BENCH_PROCS ?? 3),
  concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32),
  rounds = Number(process.env.BENCH_ROUNDS ?? 3),
): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const cores = availableParallelism();
  say(`bench/scale: ${jobs} jobs over ${TEAMS.length} teams, ${procs} router processes × concurrency ${concurrency}, ${rounds} alternating rounds`);
  say(
    `this machine has ${cores} core${cores === 1 ? '' : 's'} (load average ${loadavg()[0]!.toFixed(1)}): every Redis node, every router process and this one share them, so wall-clock scale-out is bounded by the cores, not by Redis; the Redis-tier capacity below is what spreading the keys buys when each node has a core`,
  );
  const policiesDir = mkdtempSync(join(tmpdir(), 'vidgate-scale-'));
  TEAMS.forEach((t, i) => writeFileSync(join(policiesDir, `${t}.yaml`), policyOf(t, i)));
  // No persistence and no replicas on either side: the comparison is of the write path alone.
  const server = await startRedisServer();
  let cluster: OwnedCluster | undefined;
  let single: OwnedRedis | undefined;
  try {
    cluster = await startRedisCluster({ persistence: 'none', replicas: 0 });
    single = await startOneNodeCluster();
    // The first setup is the one the ratios are against.
    const setups = [oneRedis(server), clusterOneSlot(cluster), clusterSharded(cluster), oneNodeCluster(single)];
    // What the nodes spend with nothing to do (the cluster's gossip among them), over 3 s.
    const nodes = [server, ...cluster.nodes];
    const idle0 = await Promise.all(nodes.map((n) => nodeStats(n.port)));
    await new Promise((r) => setTimeout(r, 3000));
    const idle1 = await Promise.all(nodes.map((n) => nodeStats(n.port)));
    say(`idle Redis CPU: one Redis ${micros((idle1[0]!.cpu - idle0[0]!.cpu) / 3)}/s; each cluster master ${idle1.slice(1).map((x, i) => micros((x.cpu - idle0[i + 1]!.cpu) / 3)).join(', ')}/s (gossip; cluster-node-timeout 1000 ms)`);
    const tag = randomUUID().slice(0, 6);
    // A warm-up of each setup (connections, scripts, JIT), then the measured rounds, alternating.
    for (const s of setups) await runStorm(s, `vgscale-${tag}-warm`, policiesDir, { jobs: Math.min(1000, jobs), procs, concurrency });
    const results = new Map<Setup, RunResult[]>(setups.map((s) => [s, []]));
    for (let round = 1; round <= rounds; round++) {
      say(`round ${round}`);
      for (const s of setups) {
        const r = await runStorm(s, `vgscale-${tag}-r${round}`, policiesDir, { jobs, procs, concurrency });
        results.get(s)!.push(r);
        say(`  ${s.name.padEnd(46)} ${r.jobsPerSecond.toFixed(0).padStart(6)} jobs/s (under load); ${r.forwarded} forwarded, ${r.rejected} rejected`);
        say(`    Redis CPU per job: ${s.nodes.map((n, i) => `:${n.port} ${micros(r.redisPerJob[i]!)} (${r.roles[i]})`).join('; ')}; total ${micros(r.redisPerJob.reduce((a, b) => a + b, 0))}; ${r.commandsPerJob.toFixed(1)} commands per job`);
        say(`    node CPU per job: routers ${micros(r.nodePerJob.routers)}, enqueue ${micros(r.nodePerJob.client)}`);
      }
    }
    say(`summary (medians over the ${rounds} rounds)`);
    // Per run first, then the median: which master holds the queues changes with each run's prefix.
    const summary = setups.map((s) => {
      const rs = results.get(s)!;
      const busiest = median(rs.map((r) => Math.max(...r.redisPerJob)));
      const total = median(rs.map((r) => r.redisPerJob.reduce((a, b) => a + b, 0)));
      const share = median(rs.map((r) => Math.max(...r.redisPerJob) / r.redisPerJob.reduce((a, b) => a + b, 0)));
      // Everything a job costs this machine: Redis, the routers, the enqueue.
      const all = median(rs.map((r) => r.redisPerJob.reduce((a, b) => a + b, 0) + r.nodePerJob.routers + r.nodePerJob.client));
      return { s, rate: median(rs.map((r) => r.jobsPerSecond)), busiest, total, share, all, capacity: median(rs.map((r) => 1e6 / Math.max(...r.redisPerJob))) };
    });
    for (const x of summary) {
      say(`  ${x.s.name.padEnd(46)} ${x.rate.toFixed(0).padStart(6)} jobs/s; Redis CPU per job ${micros(x.total)} in all, busiest node ${micros(x.busiest)} (${(100 * x.share).toFixed(0)}% of the run's); Redis-tier capacity ${x.capacity.toFixed(0)} jobs/s`);
      say(`    all CPU per job (Redis, routers, enqueue) ${micros(x.all)}: on ${cores} core${cores === 1 ? '' : 's'} of its own this setup could route at most ${((cores * 1e6) / x.all).toFixed(0)} jobs/s`);
    }
    // Ratios per round (runs close in time meet similar neighbours), then their median.
    const ratio = (a: Setup, f: (r: RunResult) => number) => median(results.get(a)!.map((r, i) => f(r) / f(results.get(setups[0]!)!.at(i)!)));
    const rate = (r: RunResult) => r.jobsPerSecond;
    const capacity = (r: RunResult) => 1e6 / Math.max(...r.redisPerJob);
    say(`jobs/s, cluster / one Redis: ${ratio(setups[1]!, rate).toFixed(2)} (target at least 1.5); with the queues spread by team: ${ratio(setups[2]!, rate).toFixed(2)} (median of the rounds' ratios)`);
    say(`Redis-tier capacity, cluster / one Redis: ${ratio(setups[1]!, capacity).toFixed(2)}; with the queues spread by team: ${ratio(setups[2]!, capacity).toFixed(2)}`);
    const redisTotal = (r: RunResult) => r.redisPerJob.reduce((a, b) => a + b, 0);
    say(`Redis CPU per job, against one Redis: one-node cluster ${ratio(setups[3]!, redisTotal).toFixed(2)} (cluster mode itself), 3-master cluster ${ratio(setups[1]!, redisTotal).toFixed(2)} (cluster mode and the split over three servers)`);
  } finally {
    await cluster?.stop();
    await single?.stop();
    await server.stop();
    rmSync(policiesDir, { recursive: true, force: true });
  }
}
