// The chaos suite, short version (`npm run chaos` runs longer ones over several seeds): mixed jobs
// through two worker processes against tight budgets while a worker is SIGKILLed and restarted,
// Redis (AOF, appendfsync always) is SIGKILLed and restarted, the local Kling server is SIGKILLed
// and restarted with its state file, and provider failures of every class are injected. Then
// `vidgate reconcile --apply`, and the audit against the provider's own records.
// A failing run prints its seed: CHAOS_SEED=… npx vitest run test/chaos replays its plan.
import { randomInt } from 'node:crypto';
import { expect, it } from 'vitest';
import { PROCESS_FAULTS } from '../../chaos/plan.js';
import { runChaos } from '../../chaos/run.js';

const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : randomInt(1, 1_000_000_000);

it(`chaos (seed ${seed}): every job ends once, spend stays within limits and equals what the provider billed`, async () => {
  const lines: string[] = [];
  const report = await runChaos({
    seed,
    jobs: 60,
    faults: PROCESS_FAULTS.length,
    faultRate: 0.35,
    window: 30,
    redis: { kind: 'private' },
    klingLatencyMs: 300,
    klingTimeoutMs: 3000,
    say: (line) => lines.push(line),
  });
  const replay = `seed ${seed}: replay with CHAOS_SEED=${seed} npx vitest run test/chaos\n${lines.join('\n')}`;
  expect(report.findings, replay).toEqual([]);
  // The run did what it says: every process fault struck, and jobs ended every way.
  expect(report.faultsStruck.map((f) => f.split('@')[0]).sort(), replay).toEqual([...PROCESS_FAULTS].sort());
  expect(report.states.completed, replay).toBeGreaterThan(0);
  expect(report.states.rejected, replay).toBeGreaterThan(0); // the budgets are tight
  expect(report.audit.scopes.length, replay).toBe(5);
  expect(report.audit.tasks, replay).toBeGreaterThan(0);
}, 300_000);
