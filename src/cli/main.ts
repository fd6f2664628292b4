import { Command, CommanderError } from 'commander';
import { EXIT_BAD_INPUT } from './command.js';
import { budgetCommand } from './budget.js';
import { estimateCommand } from './estimate.js';
import { quoteCommand } from './quote.js';
import { fakeKlingCommand } from './fake-kling.js';
import { enqueueCommand } from './enqueue.js';
import { jobsCommand } from './jobs.js';
import { workerCommand } from './worker.js';
import { reconcileCommand } from './reconcile.js';
import { serveCommand } from './serve.js';
import { keysCommand } from './keys.js';
import { policyCommand } from './policy.js';
import { reportCommand } from './report.js';

export function program(): Command {
  const root = new Command('vidgate')
    .description('budget-aware job router for AI video generation')
    .version('0.1.0')
    // `vidgate --version` is the program's; after a subcommand, `--version` is its own (`policy show --version N`).
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const cmd of [estimateCommand(), quoteCommand(), policyCommand(), budgetCommand(), workerCommand(), enqueueCommand(), jobsCommand(), reconcileCommand(), serveCommand(), keysCommand(), reportCommand(), fakeKlingCommand()]) root.addCommand(cmd);
  // Subcommands (and theirs) report usage errors through the same path, which exits 2.
  const visit = (c: Command) => {
    c.exitOverride().showHelpAfterError('(run with --help for usage)');
    c.commands.forEach(visit);
  };
  root.commands.forEach(visit);
  return root;
}

export async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`| head`) is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other commander error is a bad invocation.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
      return;
    }
    throw err;
  }
}
