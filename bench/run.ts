// npm run bench [-- ledger|pipeline|steady|scheduler|api|history-memory|metrics|memory|scale]: runs the named benchmarks (all by default).
import { benchLedger } from './ledger.js';
import { benchPipeline } from './pipeline.js';
import { benchScheduler } from './scheduler.js';
import { benchApi } from './api.js';
import { benchHistoryMemory } from './history-memory.js';
import { benchMetrics } from './metrics.js';
import { benchMemory } from './memory.js';
import { benchSteady } from './steady.js';
import { benchScale } from './scale.js';

const all: Record<string, () => Promise<void>> = { ledger: () => benchLedger(), pipeline: () => benchPipeline(), steady: () => benchSteady(), scheduler: () => benchScheduler(), api: () => benchApi(), 'history-memory': () => benchHistoryMemory(), metrics: () => benchMetrics(), memory: () => benchMemory(), scale: () => benchScale() };
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
for (const name of names) {
  const run = Object.hasOwn(all, name) ? all[name] : undefined;
  if (!run) {
    process.stderr.write(`unknown benchmark "${name}"; one of: ${Object.keys(all).join(', ')}\n`);
    process.exit(2);
  }
  await run();
}
