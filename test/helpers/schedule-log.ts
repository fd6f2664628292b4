import type { RedisConnection as Redis } from '../../src/redis-connection.js';
import type { AccountScheduler } from '../../src/queue/scheduler/account.js';

export interface SchedEvent {
  e: 'ready' | 'start' | 'end' | 'expired' | 'resumed';
  team: string;
  job: string;
  /** For `resumed`: whether the job was in its team's line (1) or not (0). */
  waited?: number;
}

/** The account's recorded events, oldest first. */
export async function readEvents(redis: Redis, s: AccountScheduler): Promise<SchedEvent[]> {
  const entries = await redis.xrange(s.keys.events, '-', '+');
  return entries.map(([, fields]) => {
    const f = new Map<string, string>();
    for (let i = 0; i < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
    return { e: f.get('e') as SchedEvent['e'], team: f.get('team')!, job: f.get('job')!, ...(f.has('waited') ? { waited: Number(f.get('waited')) } : {}) };
  });
}

export interface StartSample {
  team: string;
  job: string;
  /** Slots each team held right after this start. */
  running: Map<string, number>;
  /** Slot releases between the job's ready event and its start. */
  endsSinceReady: number;
  /** Slot releases before this start, in all. */
  endsBefore: number;
  /** Jobs each team had waiting just before this start. */
  waitingBefore: Map<string, number>;
}

/**
 * Replays the events and checks each start against the discipline: the slot went to a team with a
 * ready job, under its cap, holding the fewest slots per unit of share. Returns the starts (with
 * what each team held after them) and every start that broke the rule.
 */
export function replay(events: SchedEvent[], shares: Record<string, number>, caps: Record<string, number> = {}) {
  const running = new Map<string, number>();
  const waiting = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const share = (t: string) => (Object.hasOwn(shares, t) ? shares[t]! : 1);
  const get = (m: Map<string, number>, t: string) => m.get(t) ?? 0;
  let ends = 0;
  const starts: StartSample[] = [];
  const violations: string[] = [];
  let maxHeld = 0;
  for (const ev of events) {
    switch (ev.e) {
      case 'ready':
        waiting.set(ev.team, get(waiting, ev.team) + 1);
        readyAt.set(ev.job, ends);
        break;
      case 'start': {
        const eligible = [...waiting].filter(([t, n]) => n > 0 && (!Object.hasOwn(caps, t) || get(running, t) < caps[t]!));
        const best = Math.min(...eligible.map(([t]) => get(running, t) / share(t)));
        const mine = get(running, ev.team) / share(ev.team);
        if (get(waiting, ev.team) === 0) violations.push(`${ev.job} of ${ev.team} started with nothing of its team waiting`);
        else if (mine > best) violations.push(`${ev.job} of ${ev.team} started at ${mine} slots per share while another ready team held ${best}`);
        const waitingBefore = new Map(waiting);
        waiting.set(ev.team, get(waiting, ev.team) - 1);
        running.set(ev.team, get(running, ev.team) + 1);
        maxHeld = Math.max(maxHeld, [...running.values()].reduce((a, b) => a + b, 0));
        starts.push({ team: ev.team, job: ev.job, running: new Map(running), endsSinceReady: ends - (readyAt.get(ev.job) ?? ends), endsBefore: ends, waitingBefore });
        break;
      }
      case 'resumed':
        // A task the provider runs took its lapsed slot back: counted, not chosen.
        if (ev.waited === 1) waiting.set(ev.team, get(waiting, ev.team) - 1);
        running.set(ev.team, get(running, ev.team) + 1);
        maxHeld = Math.max(maxHeld, [...running.values()].reduce((a, b) => a + b, 0));
        break;
      case 'end':
        running.set(ev.team, get(running, ev.team) - 1);
        ends++;
        break;
      case 'expired':
        running.set(ev.team, get(running, ev.team) - 1);
        waiting.set(ev.team, get(waiting, ev.team) + 1);
        break;
    }
  }
  return { starts, violations, maxHeld, running, waiting };
}

/** The share of the slots `team` held, averaged over the starts given. */
export function slotShare(starts: StartSample[], team: string): number {
  const fractions = starts.map((s) => (s.running.get(team) ?? 0) / [...s.running.values()].reduce((a, b) => a + b, 0));
  return fractions.reduce((a, b) => a + b, 0) / fractions.length;
}
