-- release: gives a pending reservation back in full (the job failed or was cancelled), once.
--
-- KEYS[1] reservation hash   KEYS[2] lease set   KEYS[3] audit stream
-- KEYS[4] the history hash of the reservation's day   KEYS[5] its month's dearest jobs (history.lua)
-- KEYS[6..] pairs (balance, config) of each scope the reservation recorded
-- ARGV[1] reservation id   ARGV[2] now (ms; empty: Redis's TIME)   ARGV[3] audit stream max length
-- ARGV[4] actor   ARGV[5] retention of the finished record (ms)   ARGV[6] reason (free text, for the audit)
-- ARGV[7] the history key without its day, ARGV[8] the history's retention (ms),
-- ARGV[9] how many dearest jobs a month keeps   ARGV[10..] per scope pair: its balance key without the window, its config key (see scopes.lua)
-- Returns JSON: { status = 'released', reserved, charged = 0, scopes }, or the first outcome
-- (replayed = true) if it already resolved, or { status = 'unknown' } / { status = 'stale-keys' }
--@include clock.lua
--@include resolve.lua
--@include open.lua

local at = { reservation = KEYS[1], leases = KEYS[2], audit = KEYS[3] }
local firstScopeKey = 6
local id, nowArg, auditMax, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local retentionMs, reason = ARGV[5], ARGV[6]
local historyArgs = { ARGV[7], ARGV[8], ARGV[9] }
local scopeKeyStems = { unpack(ARGV, 10) }

local res, scopes, history, early = openReservation(at.reservation, id, firstScopeKey, scopeKeyStems, unlessPending, historyArgs)
if early then return early end
at.history = history
return resolve(at, res, scopes, 0, 'released', { reason = reason }, clockNow(nowArg), auditMax, actor, retentionMs)
