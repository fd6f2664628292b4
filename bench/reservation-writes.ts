import type { Redis } from 'ioredis';

/**
 * The writes one reservation makes, sent as plain commands in one MULTI: its record (the same short
 * fields as the reserve script's), its lease, its audit entry and the two scopes' reserved sums.
 * No budget check, no idempotency, no reply to build: a yardstick for any ledger that keeps what
 * the ledger issue asks for, which both benchmarks print for scale.
 */
export function reservationWrites(redis: Redis, prefix: string, id: string): Promise<unknown> {
  const now = Date.now();
  const lease = String(now + 300_000);
  return redis
    .multi()
    .hset(`${prefix}:{bench}:plain:${id}`, 'id', id, 'team', 'bench', 'project', 'p', 'status', 'reserved', 'createdAt', String(now), 'amount', '2500000', 'candidate', '0', 'leaseUntil', lease, 'pw', '2026-11', 'pv', '1000000000000000|0|2500000', 'tw', '2026-11', 'tv', '1000000000000000|0|2500000')
    .zadd(`${prefix}:{bench}:plain-leases`, lease, id)
    .xadd(`${prefix}:{bench}:plain-audit`, 'MAXLEN', '~', '100000', '*', 'op', 'reserve', 'at', String(now), 'id', id, 'project', 'p', 'actor', 'bench', 'amount', '2500000', 'candidate', '0', 'project.spent', '0', 'project.reserved', '2500000', 'team.spent', '0', 'team.reserved', '2500000')
    .hincrby(`${prefix}:{bench}:plain-bal-p`, 'reserved', 2_500_000)
    .hincrby(`${prefix}:{bench}:plain-bal-t`, 'reserved', 2_500_000)
    .exec();
}
