// A private redis-server on a free port: for tests that need isolation, persistence or a crash,
// and for the demo and benchmarks when no Redis answers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A redis-server process this test run owns: its port, data dir, and how to stop or kill it. */
export interface OwnedRedis {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPing(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} before answering`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch (err) {
      lastError = err;
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server at ${url} did not answer: ${String(lastError)}`);
}

/**
 * Starts a private redis-server. `appendonly` gives it persistence for crash tests; `port` and
 * `dir` let a test restart the same server after killing it (`ownDir`: stop() still removes the
 * dir); `extraArgs` come last, so they win over these.
 */
export async function startRedisServer(opts: { appendonly?: boolean; appendfsync?: 'always' | 'everysec'; port?: number; dir?: string; ownDir?: boolean; extraArgs?: string[] } = {}): Promise<OwnedRedis> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vidgate-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--logfile', ''];
  args.push('--appendonly', opts.appendonly ? 'yes' : 'no');
  if (opts.appendonly) args.push('--appendfsync', opts.appendfsync ?? 'always');
  args.push(...(opts.extraArgs ?? []));
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  await waitForPing(url, child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url,
    port,
    dir,
    process: child,
    stop: async () => {
      await end('SIGTERM');
      if (!opts.dir || opts.ownDir) rmSync(dir, { recursive: true, force: true });
    },
    kill: () => end('SIGKILL'),
  };
}
