// The chaos suite, short version (`npm run chaos` runs longer ones over several seeds): mixed jobs
// through two worker processes against tight budgets while a worker is SIGKILLed and restarted,
// Redis (AOF, appendfsync always) is SIGKILLed and restarted, the local Kling server is SIGKILLed
// and restarted with its state file, and provider failures of every class are injected. Then
// `vidgate reconcile --apply`, and the audit against the provider's own records.
// A failing run prints its seed: CHAOS_SEED=… npx vitest run test/chaos/chaos.test.ts replays its plan.
import { it } from 'vitest';
import { chaosSeed, shortChaos } from './short-run.js';

const seed = chaosSeed();

it(`chaos (seed ${seed}): every job ends once, spend stays within limits and equals what the provider billed`, async () => {
  await shortChaos(seed, { kind: 'private' }, 'test/chaos/chaos.test.ts');
}, 300_000);
