-- expire-due: returns a pending reservation whose lease has run out (its worker died or hung).
-- Safe to run from several reapers at once: the lease is checked again here, atomically, so a
-- reservation extended or resolved meanwhile is left alone.
--
-- KEYS[1] reservation hash   KEYS[2] lease set   KEYS[3] audit stream
-- KEYS[4..] pairs (balance, config) of each scope the reservation recorded
-- ARGV[1] reservation id   ARGV[2] now (ms)   ARGV[3] audit stream max length   ARGV[4] actor
-- ARGV[5] retention of the finished record (ms)
-- Returns JSON: { status = 'expired', ... }, { status = 'reserved', due = false } when not due,
-- the first outcome (replayed = true) if it already resolved, or { status = 'unknown' }
--@include util.lua

local id, now = ARGV[1], tonumber(ARGV[2])
local res = readHash(KEYS[1])
if not res then
  redis.call('ZREM', KEYS[2], id)
  return cjson.encode({ status = 'unknown', reservationId = id })
end
if res.status ~= 'reserved' then
  redis.call('ZREM', KEYS[2], id)
  return replayOutcome(res)
end
if num(res.leaseUntil) > now then
  return cjson.encode({ status = 'reserved', reservationId = id, due = false, leaseUntil = res.leaseUntil })
end
local scopes = recordedScopes(res, 4)
if not scopes then return cjson.encode({ status = 'stale-keys', reservationId = id }) end
return resolve(res, scopes, 0, 'expired', { leaseUntil = res.leaseUntil }, now, ARGV[3], ARGV[4], ARGV[5])
