-- release: gives a pending reservation back in full (the job failed or was cancelled), once.
--
-- KEYS[1] reservation hash   KEYS[2] lease set   KEYS[3] audit stream
-- KEYS[4..] pairs (balance, config) of each scope the reservation recorded
-- ARGV[1] reservation id   ARGV[2] now (ms)   ARGV[3] audit stream max length   ARGV[4] actor
-- ARGV[5] retention of the finished record (ms)   ARGV[6] reason (free text, for the audit)
-- Returns JSON: { status = 'released', reserved, charged = 0, scopes }, or the first outcome
-- (replayed = true) if it already resolved, or { status = 'unknown' } / { status = 'stale-keys' }
--@include util.lua

local id, now = ARGV[1], tonumber(ARGV[2])
local res = readHash(KEYS[1])
if not res then return cjson.encode({ status = 'unknown', reservationId = id }) end
if res.status ~= 'reserved' then return replayOutcome(res) end
local scopes = recordedScopes(res, 4)
if not scopes then return cjson.encode({ status = 'stale-keys', reservationId = id }) end
return resolve(res, scopes, 0, 'released', { reason = ARGV[6] }, now, ARGV[3], ARGV[4], ARGV[5])
