// npm run bench [-- ledger|pipeline|scheduler|api|history-memory|scale]: runs the named benchmarks (all by default).
import { benchLedger } from './ledger.js';
import { benchPipeline } from './pipeline.js';
import { benchScheduler } from './scheduler.js';
import { benchApi } from './api.js';
import { benchHistoryMemory } from './history-memory.js';
import { benchScale } from './scale.js';

const all: Record<string, () => Promise<void>> = { ledger: () => benchLedger(), pipeline: () => benchPipeline(), scheduler: () => benchScheduler(), api: () => benchApi(), 'history-memory': () => benchHistoryMemory(), scale: () => benchScale() };
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
for (const name of names) {
  const run = all[name];
  if (!run) {
    process.stderr.write(`unknown benchmark "${name}"; one of: ${Object.keys(all).join(', ')}\n`);
    process.exit(2);
  }
  await run();
}
