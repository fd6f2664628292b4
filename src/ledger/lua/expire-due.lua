-- expire-due: returns a pending reservation whose lease has run out (its worker died or hung).
-- Safe to run from several reapers at once: the lease is checked again here, atomically and on
-- Redis's clock, so a reservation extended or resolved meanwhile is left alone.
--
-- KEYS[1] reservation hash   KEYS[2] lease set   KEYS[3] audit stream
-- KEYS[4] the history hash of the reservation's day   KEYS[5] its month's dearest jobs (history.lua)
-- KEYS[6..] pairs (balance, config) of each scope the reservation recorded
-- ARGV[1] reservation id   ARGV[2] now (ms; empty: Redis's TIME)   ARGV[3] audit stream max length
-- ARGV[4] actor   ARGV[5] retention of the finished record (ms)   ARGV[6] unused (the operation's
-- value for commit and release)   ARGV[7] the history key without its day,
-- ARGV[8] the history's retention (ms), ARGV[9] how many dearest jobs a month keeps, ARGV[10..] per scope pair: its balance key without the window,
-- its config key (see scopes.lua)
-- Returns JSON: { status = 'expired', ... }, { status = 'reserved', due = false } when not due,
-- the first outcome (replayed = true) if it already resolved, or { status = 'unknown' }
--@include clock.lua
--@include scopes.lua
--@include resolve.lua

local at = { reservation = KEYS[1], leases = KEYS[2], audit = KEYS[3] }
local firstScopeKey = 6
local id, nowArg, auditMax, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local retentionMs = ARGV[5]
local historyArgs = { ARGV[7], ARGV[8], ARGV[9] }
local scopeKeyStems = { unpack(ARGV, 10) }

local res = readHash(at.reservation)
if not res then
  redis.call('ZREM', at.leases, id)
  return cjson.encode({ status = 'unknown', reservationId = id })
end
if res.status ~= 'reserved' then
  redis.call('ZREM', at.leases, id)
  return replayOutcome(res)
end
local now = clockNow(nowArg)
if num(res.leaseUntil) > now then
  return cjson.encode({ status = 'reserved', reservationId = id, due = false, leaseUntil = res.leaseUntil })
end
local scopes = recordedScopes(res, firstScopeKey, scopeKeyStems)
if not scopes then return cjson.encode({ status = 'stale-keys', reservationId = id }) end
local stale
at.history, stale = recordedHistory(res, 4, unpack(historyArgs))
if stale then return cjson.encode({ status = 'stale-keys', reservationId = id }) end
return resolve(at, res, scopes, 0, 'expired', { leaseUntil = res.leaseUntil }, now, auditMax, actor, retentionMs)
