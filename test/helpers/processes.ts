import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Starts `node file args…`; resolves the child and its first line of output once printed. */
export function startNode(file: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; firstLine: Promise<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${file} exited ${code} before printing: ${stderr}`)));
  });
  return { child, firstLine, exited };
}

export type NodeProcess = ReturnType<typeof startNode>;

/**
 * A `vidgate worker` process on `policiesDir` and `prefix`, against a local Kling server (unit
 * price 1), with `args` added; `cleanups` gets its stop (SIGTERM, then its exit) unless it ended.
 */
export function startWorkerProcess(o: {
  bin: string;
  policiesDir: string;
  prefix: string;
  redis: Record<string, string>;
  kling: { url: string; apiKey: string };
  args: string[];
  logLevel?: string;
  cleanups: (() => unknown)[];
}): NodeProcess {
  const w = startNode(o.bin, ['worker', '--policies', o.policiesDir, '--prefix', o.prefix, ...o.args], {
    ...o.redis,
    KLING_API_KEY: o.kling.apiKey,
    KLING_BASE_URL: o.kling.url,
    KLING_UNIT_PRICE: '1',
    VIDGATE_LOG_LEVEL: o.logLevel ?? 'error',
  });
  o.cleanups.push(async () => {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGTERM');
      await w.exited;
    }
  });
  return w;
}
