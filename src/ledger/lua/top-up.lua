-- top-up: raises a pending reservation to a new amount (an upward fallback), only if every scope
-- it recorded still has the headroom; otherwise nothing changes.
--
-- KEYS[1] reservation hash   KEYS[2] lease set   KEYS[3] audit stream
-- KEYS[4] the history hash of the reservation's day   KEYS[5] its month's dearest jobs (history.lua)
-- KEYS[6..] pairs (balance, config) of each scope the reservation recorded
-- ARGV[1] reservation id   ARGV[2] now (ms; empty: Redis's TIME)   ARGV[3] audit stream max length
-- ARGV[4] actor   ARGV[5] new amount (micro-units)
-- ARGV[6] the history key without its day, ARGV[7] the history's retention (ms),
-- ARGV[8] how many dearest jobs a month keeps   ARGV[9..] per scope pair: its balance key without the window, its config key (see scopes.lua)
-- Returns JSON: { status = 'reserved', toppedUp = true|false, amount, scopes, reason? },
-- the reservation's status when it is no longer pending, or { status = 'unknown' } / 'stale-keys'
--@include clock.lua
--@include headroom.lua
--@include open.lua
--@include alerts.lua
--@include views.lua
--@include record.lua

local reservationKey, auditKey = KEYS[1], KEYS[3]
local firstScopeKey = 6
local id, nowArg, auditMax, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local target = tonumber(ARGV[5])
local historyArgs = { ARGV[6], ARGV[7], ARGV[8] }
local scopeKeyStems = { unpack(ARGV, 9) }

local function notPending(res)
  if res.status ~= 'reserved' then return cjson.encode({ status = res.status, reservationId = id, toppedUp = false }) end
  return nil
end
local res, scopes, history, early = openReservation(reservationKey, id, firstScopeKey, scopeKeyStems, notPending, historyArgs)
if early then return early end

local amount = num(res.amount)
local delta = target - amount
local function answer(toppedUp, reason)
  return cjson.encode({ status = 'reserved', reservationId = id, toppedUp = toppedUp, reason = reason,
    amount = fmt(num(res.amount)), scopes = scopeViews(scopes) })
end
if delta <= 0 then return answer(false, 'already-covered') end
for _, s in ipairs(scopes) do
  local spent, reserved = balance(s)
  if not fits(s.limit, spent, reserved, delta, 1000000) then return answer(false, 'insufficient-budget') end
end
local now = clockNow(nowArg)
for _, s in ipairs(scopes) do adjust(s, 'reserved', delta) end
res.amount = fmt(target)
redis.call('HSET', reservationKey, 'amount', res.amount)
if history then
  histAdd(history, history.project, history.model, 'rsv', delta)
  histKeep(history)
end
local alerts = {}
for _, s in ipairs(scopes) do fireAlerts(s, auditKey, auditMax, now, alerts) end
audit(auditKey, auditMax, balanceFields({ 'op', 'top-up', 'at', fmt(now), 'id', id,
  'project', res.project, 'actor', actor, 'amount', fmt(delta) }, scopes))
return answer(true)
