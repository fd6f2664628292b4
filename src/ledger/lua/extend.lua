-- extend: moves a pending reservation's lease deadline to now + lease (a worker still on the job),
-- now being Redis's clock unless the caller passes one.
--
-- KEYS[1] reservation hash   KEYS[2] lease set   KEYS[3] audit stream
-- ARGV[1] reservation id   ARGV[2] now (ms; empty: Redis's TIME)   ARGV[3] audit stream max length
-- ARGV[4] actor   ARGV[5] lease (ms)
-- ARGV[6], ARGV[7] (optional) the caller's terms for the record, two short texts kept as "pr" and
-- "pc" for as long as the record is (vidgate's pricing terms: the request and the card)
-- Returns JSON: { status = 'reserved', leaseUntil }, or the reservation's status when it is no
-- longer pending (nothing changes then), or { status = 'unknown' }
--@include clock.lua
--@include fmt.lua
--@include audit.lua
--@include record.lua

local reservationKey, leasesKey, auditKey = KEYS[1], KEYS[2], KEYS[3]
local id, nowArg, auditMax, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local leaseMs = tonumber(ARGV[5])

local res = readHash(reservationKey)
if not res then return cjson.encode({ status = 'unknown', reservationId = id }) end
if res.status ~= 'reserved' then
  return cjson.encode({ status = res.status, reservationId = id, extended = false })
end
local now = clockNow(nowArg)
local leaseUntil = now + leaseMs
redis.call('HSET', reservationKey, 'leaseUntil', fmt(leaseUntil))
if ARGV[6] and ARGV[6] ~= '' then redis.call('HSET', reservationKey, 'pr', ARGV[6], 'pc', ARGV[7]) end
redis.call('ZADD', leasesKey, fmt(leaseUntil), id)
audit(auditKey, auditMax, { 'op', 'extend', 'at', fmt(now), 'id', id, 'project', res.project,
  'actor', actor, 'leaseUntil', fmt(leaseUntil) })
return cjson.encode({ status = 'reserved', reservationId = id, extended = true, leaseUntil = fmt(leaseUntil) })
