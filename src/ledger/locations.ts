import type { RedisConnection as Redis } from '../redis-connection.js';
import { BoundedCache } from '../bounded-cache.js';
import type { LedgerKeys } from './keys.js';
import type { Located } from './ops/context.js';
import { micros } from './codec.js';
import { formatMoney } from '../money.js';
import type { ReservationView } from './schema.js';

/**
 * Where each reservation's money sits (its team, project and the windows it recorded): this
 * process's cache of its own reservations, else the locator key and the reservation's record.
 */
export class Locations {
  private readonly cache = new BoundedCache<string, Located>(10_000);

  constructor(
    private readonly redis: Redis,
    private readonly keys: LedgerKeys,
  ) {}

  remember(id: string, located: Located): void {
    this.cache.set(id, located);
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Which team holds a reservation. */
  async teamOf(id: string): Promise<string | null> {
    return this.cache.get(id)?.team ?? (await this.redis.get(this.keys.locator(id)));
  }

  /** Where a reservation sits; with `team` given, only within that team (the reaper's case). */
  async locate(id: string, team?: string): Promise<Located | null> {
    const cached = this.cache.get(id);
    if (cached && (team === undefined || cached.team === team)) return cached;
    const owner = team ?? (await this.redis.get(this.keys.locator(id)));
    if (!owner) return null;
    // The reserve script records each scope's window: "pw" for the project, "tw" for the team.
    const [project, pw, tw, day] = await this.redis.hmget(this.keys.reservation(owner, id), 'project', 'pw', 'tw', 'hd');
    const scopes: Located['scopes'] = [];
    if (project != null && pw != null) scopes.push({ scope: 'project', window: pw });
    if (tw != null) scopes.push({ scope: 'team', window: tw });
    return { team: owner, project: project ?? '', scopes, day: day ?? null };
  }

  /** How a reservation stands, from its record (what reconciliation compares with the provider). */
  async inspect(id: string): Promise<ReservationView | null> {
    const team = await this.teamOf(id);
    if (!team) return null;
    const fields = await this.redis.hmget(this.keys.reservation(team, id), 'status', 'project', 'amount', 'charged', 'overrun', 'rc', 'pr', 'pc');
    if (!fields[0]) return null;
    const [pr, pc] = fields.slice(6);
    const [status, project, amount, charged, overrun, rc] = fields.slice(0, 6).map((f) => f ?? '0') as string[];
    const total = (...parts: string[]) => formatMoney(parts.reduce((sum, p) => sum.plus(micros.toMoney(p)), micros.toMoney('0')));
    return { reservationId: id, status: status as ReservationView['status'], team, project: project!, amount: micros.decode(amount!), charged: total(charged!, rc!), recorded: total(charged!, overrun!, rc!), terms: pr ? [pr, pc ?? ''] : null };
  }
}
