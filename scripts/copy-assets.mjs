// tsc copies imported JSON but not the Lua scripts, which the ledger reads at run time.
import { cpSync, existsSync } from 'node:fs';

if (existsSync('src/ledger/lua')) cpSync('src/ledger/lua', 'dist/src/ledger/lua', { recursive: true });
