import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { Task } from './tasks.js';

/**
 * The local server's memory across restarts, as Kling keeps its tasks when a node restarts: an
 * append-only log, one JSON task a line, written before the create is answered and replayed at
 * start. An append is one write(2) of a whole line, so a process killed with SIGKILL leaves
 * every answered task in the file; a torn last line (a machine crash in mid-write, before the
 * task was answered) is skipped on replay.
 */
export class StateFile {
  /** Fails at once, saying why, when the file cannot be written (a missing directory, no permission). */
  constructor(readonly path: string) {
    try {
      appendFileSync(path, '');
    } catch (err) {
      throw new StateFileError(`state file ${path} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a file in an existing, writable directory`);
    }
  }

  /** The tasks written so far, oldest first. */
  load(): Task[] {
    if (!existsSync(this.path)) return [];
    const tasks: Task[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        tasks.push(JSON.parse(line) as Task);
      } catch {
        // A torn last line: that create was never answered, so no client knows the task.
      }
    }
    return tasks;
  }

  append(task: Task): void {
    appendFileSync(this.path, `${JSON.stringify(task)}\n`);
  }
}

export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}
