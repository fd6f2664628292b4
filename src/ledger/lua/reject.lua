-- reject: records a job the router rejected before asking for a reservation (invalid, no project
-- budget in the policy, unpriceable, no candidate), so the history counts it once however often
-- BullMQ retries the router's step: the first call writes a rejected reservation record and
-- counts; a later call finds the record and changes nothing. A reserve for the same id later
-- (a retry after a policy reload) replays this rejection, as it would its own.
--
-- KEYS[1] reservation hash   KEYS[2] audit stream   KEYS[3] the team's history hash of the day
-- ARGV[1] reservation id   ARGV[2] now (ms; empty: Redis's TIME)   ARGV[3] audit stream max length
-- ARGV[4] actor   ARGV[5] team   ARGV[6] project ('-' when it has no budget)   ARGV[7] model ('-' if unknown)
-- ARGV[8] the router's code   ARGV[9] retention of the record (ms)   ARGV[10] the history's retention (ms)
-- ARGV[11] the day the history key was built for
-- Returns JSON: { status = 'rejected', replayed = false, day }, the record's status with
-- replayed = true when one exists, or { status = 'retry', now } when the day is not the script's
--@include clock.lua
--@include windows.lua
--@include audit.lua
--@include history.lua

local reservationKey, auditKey = KEYS[1], KEYS[2]
local id, nowArg, auditMax, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local team, project, model, code = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local retentionMs, keptDay = ARGV[9], ARGV[11]
local history = { key = KEYS[3], retention = ARGV[10] }

local existing = redis.call('HMGET', reservationKey, 'status', 'reason')
if existing[1] then
  return cjson.encode({ status = existing[1], reason = existing[2], reservationId = id, replayed = true })
end
local now = clockNow(nowArg)
local day = windowOf('daily', now)
if day ~= keptDay then return cjson.encode({ status = 'retry', now = fmt(now) }) end

redis.call('HSET', reservationKey, 'id', id, 'team', team, 'project', project, 'status', 'rejected',
  'createdAt', fmt(now), 'candidate', -1, 'reason', code, 'hd', day)
redis.call('PEXPIRE', reservationKey, retentionMs)
audit(auditKey, auditMax, { 'op', 'reject', 'at', fmt(now), 'id', id, 'project', project, 'actor', actor, 'reason', code })
histAdd(history, project, model, 'n.rej.' .. code, 1)
histKeep(history)
return cjson.encode({ status = 'rejected', reason = code, reservationId = id, replayed = false, day = day })
