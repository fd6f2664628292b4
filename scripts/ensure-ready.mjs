// Set-up shared by `npm test`, `npm run demo` and `npm run bench` on a fresh clone: install the
// dependencies if they are missing, then build (the CLI tests and the demo run the built code).
// Uses only Node built-ins, because it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`vidgate set-up: "${cmd} ${args.join(' ')}" failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status ?? 1);
  }
}

if (!existsSync('node_modules/.package-lock.json')) {
  process.stdout.write('vidgate set-up: installing dependencies (npm ci)...\n');
  run('npm', ['ci', '--no-audit', '--no-fund']); // its `prepare` builds too
} else {
  run('npm', ['run', '--silent', 'build']);
}
