import type { ServerResponse } from 'node:http';
import { DEFAULTS } from '../../defaults.js';
import type { RouteContext } from '../app.js';
import { overview } from './overview.js';

/** A burst of a job's events (taken, parked, sent, ended) is read as one change: overviews are at least this far apart. */
const MIN_GAP_MS = 200;
/** Budgets also move with jobs the page does not list (older ones, a pipeline's own): read in full at least this often. */
const FULL_READ_MS = 10 * DEFAULTS.dashboardLiveMs;

/**
 * The team page's live view as Server-Sent Events: the overview (burn-down and latest jobs)
 * whenever it changes. The overview, the heaviest read of the dashboard, is read again when a
 * listed job has a queue event or the team's index has a new job; each tick otherwise costs one
 * look at the session and one at the index's newest entry (and a comment line, so proxies keep
 * the stream open). A session ended (signed out, key revoked) ends its stream.
 */
export async function streamOverview(ctx: RouteContext, team: string, res: ServerResponse, signedIn: () => Promise<boolean>, failed: (err: unknown) => void): Promise<void> {
  let open = true;
  let changed = true;
  let wake = () => {};
  res.on('close', () => ((open = false), wake()));
  const following = new Map<string, () => void>();
  const onEvent = () => ((changed = true), wake());
  /** Listens to the events of exactly the listed jobs. */
  const follow = async (ids: string[]) => {
    const listed = new Set(ids);
    for (const [id, stop] of following) if (!listed.has(id)) (stop(), following.delete(id));
    for (const id of listed) if (!following.has(id)) following.set(id, await ctx.client.watch(team, id, onEvent));
  };
  let last = '';
  let newest: number | undefined;
  let readAt = 0;
  try {
    while (open) {
      if (!(await signedIn())) break;
      const head = (await ctx.index.page(team, 1).catch(() => []))[0]?.seq;
      if (head !== newest) changed = true;
      newest = head;
      const gap = readAt + MIN_GAP_MS - Date.now();
      if (changed && gap > 0) await new Promise((r) => setTimeout(r, gap));
      if (changed || Date.now() - readAt >= FULL_READ_MS) {
        changed = false;
        readAt = Date.now();
        const o = await overview(ctx, team).catch((err: unknown) => (failed(err), undefined));
        if (o) {
          await follow(o.jobs.map((j) => j.id));
          const data = JSON.stringify({ burns: o.burns, jobs: o.jobs });
          if (data !== last && open) res.write(`event: overview\ndata: ${data}\n\n`);
          else if (open) res.write(': still here\n\n');
          last = data;
        }
      } else res.write(': still here\n\n');
      if (!changed && open) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, DEFAULTS.dashboardLiveMs);
          wake = () => (clearTimeout(t), resolve());
        });
      }
    }
  } finally {
    for (const stop of following.values()) stop();
  }
}
