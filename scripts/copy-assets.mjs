// tsc copies imported JSON but not the Lua scripts, which the ledger and the queue read at run time.
import { cpSync, existsSync } from 'node:fs';

for (const dir of ['src/ledger/lua', 'src/queue/lua', 'src/queue/scheduler/lua']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
