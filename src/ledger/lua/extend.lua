-- extend: moves a pending reservation's lease deadline to now + lease (a worker still on the job).
--
-- KEYS[1] reservation hash   KEYS[2] lease set   KEYS[3] audit stream
-- ARGV[1] reservation id   ARGV[2] now (ms)   ARGV[3] lease (ms)   ARGV[4] audit stream max length
-- ARGV[5] actor
-- Returns JSON: { status = 'reserved', leaseUntil }, or the reservation's status when it is no
-- longer pending (nothing changes then), or { status = 'unknown' }
--@include util.lua

local id, now, leaseMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local res = readHash(KEYS[1])
if not res then return cjson.encode({ status = 'unknown', reservationId = id }) end
if res.status ~= 'reserved' then
  return cjson.encode({ status = res.status, reservationId = id, extended = false })
end
local leaseUntil = now + leaseMs
redis.call('HSET', KEYS[1], 'leaseUntil', fmt(leaseUntil))
redis.call('ZADD', KEYS[2], fmt(leaseUntil), id)
audit(KEYS[3], ARGV[4], { 'op', 'extend', 'at', fmt(now), 'id', id, 'project', res.project,
  'actor', ARGV[5], 'leaseUntil', fmt(leaseUntil) })
return cjson.encode({ status = 'reserved', reservationId = id, extended = true, leaseUntil = fmt(leaseUntil) })
