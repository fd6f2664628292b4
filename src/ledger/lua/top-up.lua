-- top-up: raises a pending reservation to a new amount (an upward fallback), only if every scope
-- it recorded still has the headroom; otherwise nothing changes.
--
-- KEYS[1] reservation hash   KEYS[2] lease set   KEYS[3] audit stream
-- KEYS[4..] pairs (balance, config) of each scope the reservation recorded
-- ARGV[1] reservation id   ARGV[2] new amount (micro-units)   ARGV[3] now (ms)
-- ARGV[4] audit stream max length   ARGV[5] actor
-- Returns JSON: { status = 'reserved', toppedUp = true|false, amount, scopes, reason? },
-- the reservation's status when it is no longer pending, or { status = 'unknown' } / 'stale-keys'
--@include util.lua

local id, target, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local res = readHash(KEYS[1])
if not res then return cjson.encode({ status = 'unknown', reservationId = id }) end
if res.status ~= 'reserved' then return cjson.encode({ status = res.status, reservationId = id, toppedUp = false }) end
local scopes = recordedScopes(res, 4)
if not scopes then return cjson.encode({ status = 'stale-keys', reservationId = id }) end

local amount = num(res.amount)
local delta = target - amount
local function answer(toppedUp, reason)
  local views = {}
  for i, s in ipairs(scopes) do views[i] = scopeView(s) end
  return cjson.encode({ status = 'reserved', reservationId = id, toppedUp = toppedUp, reason = reason,
    amount = fmt(num(res.amount)), scopes = views })
end
if delta <= 0 then return answer(false, 'already-covered') end
for _, s in ipairs(scopes) do
  local spent, reserved = balance(s)
  if spent + reserved + delta > s.limit then return answer(false, 'insufficient-budget') end
end
for _, s in ipairs(scopes) do adjust(s, 'reserved', delta) end
res.amount = fmt(target)
redis.call('HSET', KEYS[1], 'amount', res.amount)
local alerts = {}
for _, s in ipairs(scopes) do fireAlerts(s, KEYS[3], ARGV[4], now, alerts) end
audit(KEYS[3], ARGV[4], balanceFields({ 'op', 'top-up', 'at', fmt(now), 'id', id,
  'project', res.project, 'actor', ARGV[5], 'amount', fmt(delta) }, scopes))
return answer(true)
