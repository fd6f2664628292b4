// The chaos run's processes: its own redis-server (AOF, appendfsync always) or its own Redis
// Cluster (3 masters, 3 replicas, each AOF appendfsync always), the local Kling server with a state
// file, and two `vidgate worker` processes; each can be killed and restarted.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import calculateSlot from 'cluster-key-slot';
import { startRedisCluster, type OwnedCluster } from '../scripts/redis-cluster.js';
import { freePort, startRedisServer, type OwnedRedis } from '../scripts/redis-server.js';
import type { RedisTarget } from '../src/redis-connection.js';
import type { Shard } from './plan.js';

/** The repository's root, from the sources (tsx, vitest) or from dist/ (npm run chaos). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

export const BIN = join(repoRoot(), 'bin', 'vidgate.js');

export interface Proc {
  child: ChildProcess;
  /** The first line the process printed on stdout (its "ready" line). */
  ready: Promise<string>;
  exited: Promise<void>;
}

/** Starts `vidgate args…`, its stderr appended to `log` (worker logs, for a failed run's post-mortem). */
export function startVidgate(args: string[], env: Record<string, string>, log: WriteStream): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code, signal) => reject(new Error(`vidgate ${args[0]} exited (${code ?? signal}) before it was ready; see ${log.path}`)));
  });
  ready.catch(() => {}); // awaited by the caller; a later exit must not be an unhandled rejection
  return { child, ready, exited };
}

async function kill(p: Proc, signal: NodeJS.Signals): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  await p.exited;
}

export interface StackOptions {
  seed: number;
  workDir: string;
  /**
   * Where Redis is: a private redis-server (AOF, appendfsync always) this run owns and restarts;
   * a private cluster of 3 masters and 3 replicas (each AOF, appendfsync always) whose masters it
   * kills (a replica takes over); or the URL of one it does not own (then Redis is never touched).
   */
  redis: { kind: 'private' } | { kind: 'cluster' } | { kind: 'url'; url: string };
  prefix: string;
  klingLatencyMs: number;
  klingTimeoutMs: number;
}

/** The running system under test, and the faults that can be done to it. */
export class ChaosStack {
  private redisServer: OwnedRedis | null = null;
  private cluster: OwnedCluster | null = null;
  private kling!: Proc;
  private readonly workers: Proc[] = [];
  private klingPort = 0;
  private readonly callbackPorts: number[] = [];
  readonly policiesDir: string;
  readonly stateFile: string;
  /** Where every process of the run finds Redis: the server's URL, or the cluster's nodes. */
  redisTarget: RedisTarget = '';
  klingUrl = '';
  private readonly log: WriteStream;

  private constructor(
    readonly o: StackOptions,
    policies: Record<string, string>,
  ) {
    mkdirSync(o.workDir, { recursive: true });
    this.policiesDir = join(o.workDir, 'policies');
    mkdirSync(this.policiesDir, { recursive: true });
    for (const [name, text] of Object.entries(policies)) writeFileSync(join(this.policiesDir, name), text);
    this.stateFile = join(o.workDir, 'kling-state.jsonl');
    this.log = createWriteStream(join(o.workDir, 'processes.log'), { flags: 'a' });
  }

  static async start(o: StackOptions, policies: Record<string, string>): Promise<ChaosStack> {
    const s = new ChaosStack(o, policies);
    try {
      if (o.redis.kind === 'private') {
        const dir = join(o.workDir, 'redis');
        mkdirSync(dir, { recursive: true });
        s.redisServer = await startRedisServer({ appendonly: true, dir });
        s.redisTarget = s.redisServer.url;
      } else if (o.redis.kind === 'cluster') {
        const dir = join(o.workDir, 'redis');
        mkdirSync(dir, { recursive: true });
        s.cluster = await startRedisCluster({ persistence: 'aof-always', baseDir: dir });
        s.redisTarget = s.cluster.target;
      } else {
        s.redisTarget = o.redis.url;
      }
      s.klingPort = await freePort();
      await s.startKling();
      for (let i = 0; i < 2; i++) s.callbackPorts.push(await freePort());
      await Promise.all([0, 1].map((i) => s.startWorker(i)));
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  get ownsRedis(): boolean {
    return this.redisServer !== null || this.cluster !== null;
  }

  /** The environment a vidgate process finds this run's Redis in. */
  redisEnv(): Record<string, string> {
    return this.cluster ? { REDIS_CLUSTER_NODES: this.cluster.nodesText, REDIS_URL: '' } : { REDIS_URL: this.redisTarget as string, REDIS_CLUSTER_NODES: '' };
  }

  /** The same as a vidgate command's flags. */
  redisArgs(): string[] {
    return this.cluster ? ['--redis-cluster', this.cluster.nodesText] : ['--redis', this.redisTarget as string];
  }

  get logPath(): string {
    return this.log.path as string;
  }

  /** Environment for anything that speaks to the local Kling server as vidgate does. */
  klingEnv(): Record<string, string> {
    return { KLING_API_KEY: 'chaos', KLING_BASE_URL: this.klingUrl, KLING_UNIT_PRICE: '1', KLING_TIMEOUT_MS: String(this.o.klingTimeoutMs) };
  }

  private async startKling(): Promise<void> {
    const args = ['fake-kling', '--port', String(this.klingPort), '--api-key', 'chaos', '--latency-ms', String(this.o.klingLatencyMs), '--state', this.stateFile, '--seed', String(this.o.seed)];
    this.kling = startVidgate(args, {}, this.log);
    const line = await this.kling.ready;
    this.klingUrl = /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
    if (!this.klingUrl) throw new Error(`fake-kling printed no URL: ${line}`);
  }

  private async startWorker(i: number): Promise<void> {
    const port = this.callbackPorts[i]!;
    const args = ['worker', '--policies', this.policiesDir, '--prefix', this.o.prefix, '--poll-ms', '100', '--concurrency', '16', '--model-concurrency', '40'];
    // A shorter lock than production's 30 s: a killed worker's jobs go to the other one within
    // 10-15 s. Not much shorter: on a loaded machine a starved worker would miss renewing it, and
    // BullMQ fails a job that stalls twice. A short lease: the reaper works throughout the run,
    // and must give back nothing a job still needs.
    args.push('--lock-ms', '10000', '--lease-ms', '8000', '--callback-port', String(port), '--callback-url', `http://127.0.0.1:${port}/callbacks/kling`);
    const w = startVidgate(args, { ...this.redisEnv(), VIDGATE_LOG_LEVEL: 'warn', ...this.klingEnv() }, this.log);
    this.workers[i] = w;
    await w.ready;
  }

  /** SIGKILL a worker in the middle of its jobs, then start it again. */
  async killWorker(i: 0 | 1): Promise<void> {
    await kill(this.workers[i]!, 'SIGKILL');
    await this.startWorker(i);
  }

  /**
   * One server: SIGKILL redis-server and start it again on its port and data directory (AOF
   * replayed). A cluster: SIGKILL the master serving `shard`'s slot, wait until its replica has
   * taken over, then start the dead node again (it rejoins as the new master's replica).
   * Returns what was done, for the run's log.
   */
  async restartRedis(shard: Shard): Promise<string> {
    if (this.cluster) {
      const slot = calculateSlot(shard === 'queues' ? this.o.prefix : shard); // the hash tags: {prefix} and {team}
      const { master, replicas } = await this.cluster.masterOf(slot);
      const heir = replicas[0];
      if (!heir) throw new Error(`the master of slot ${slot} (${shard}) has no replica to take over`);
      await master.kill();
      // Generous: on a loaded machine the election takes a few node timeouts.
      await this.cluster.waitUntilOk({ slot, master: heir, timeoutMs: 90_000 });
      await this.cluster.restart(master);
      await this.cluster.waitUntilOk({ timeoutMs: 90_000 });
      return `master :${master.port} of slot ${slot} (${shard === 'queues' ? 'the queues' : `team ${shard}'s ledger`}) killed, replica :${heir.port} took over, the old master rejoined as its replica`;
    }
    if (!this.redisServer) throw new Error('Redis is not this run\'s own: it cannot be restarted');
    const { port, dir } = this.redisServer;
    await this.redisServer.kill();
    this.redisServer = await startRedisServer({ appendonly: true, port, dir });
    return 'redis-server restarted from its AOF';
  }

  /** SIGKILL the local Kling server and start it again on its port with its state file. */
  async restartKling(): Promise<void> {
    await kill(this.kling, 'SIGKILL');
    await this.startKling();
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => kill(w, 'SIGTERM')));
    if (this.kling) await kill(this.kling, 'SIGTERM');
    if (this.redisServer) await this.redisServer.kill();
    this.redisServer = null;
    if (this.cluster) await this.cluster.stop();
    this.cluster = null;
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
