// The short chaos run both chaos tests make (one on a private redis-server, one on a private Redis
// Cluster), and what they hold it to.
import { randomInt } from 'node:crypto';
import { expect } from 'vitest';
import { PROCESS_FAULTS } from '../../chaos/plan.js';
import { runChaos, type ChaosOptions } from '../../chaos/run.js';

export const chaosSeed = (): number => (process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : randomInt(1, 1_000_000_000));

export async function shortChaos(seed: number, redis: ChaosOptions['redis'], file: string): Promise<string[]> {
  const lines: string[] = [];
  const report = await runChaos({
    seed,
    jobs: 60,
    faults: PROCESS_FAULTS.length,
    faultRate: 0.35,
    window: 30,
    redis,
    klingLatencyMs: 300,
    klingTimeoutMs: 3000,
    say: (line) => lines.push(line),
  });
  const replay = `seed ${seed}: replay with CHAOS_SEED=${seed} npx vitest run ${file}\n${lines.join('\n')}`;
  expect(report.findings, replay).toEqual([]);
  // The run did what it says: every process fault struck, and jobs ended every way.
  expect(report.faultsStruck.map((f) => f.split('@')[0]).sort(), replay).toEqual([...PROCESS_FAULTS].sort());
  expect(report.states.completed, replay).toBeGreaterThan(0);
  expect(report.states.rejected, replay).toBeGreaterThan(0); // the budgets are tight
  expect(report.audit.scopes.length, replay).toBe(5);
  expect(report.audit.tasks, replay).toBeGreaterThan(0);
  return lines;
}
