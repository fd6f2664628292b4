-- commit: settles a pending reservation with the actual cost, once. Below the reserved amount the
-- rest returns to the budget; above it, the excess is charged only up to the smallest headroom of
-- the scopes, and what could not be charged is reported as `overrun`.
--
-- KEYS[1] reservation hash   KEYS[2] lease set   KEYS[3] audit stream
-- KEYS[4..] pairs (balance, config) of each scope the reservation recorded
-- ARGV[1] reservation id   ARGV[2] actual cost (micro-units)   ARGV[3] now (ms)
-- ARGV[4] audit stream max length   ARGV[5] actor   ARGV[6] retention of the finished record (ms)
-- Returns JSON: { status = 'committed', reserved, actual, charged, overrun, refunded, scopes, alerts }
--            or the first outcome (replayed = true) if the reservation already resolved,
--            or { status = 'unknown' } / { status = 'stale-keys' }
--@include util.lua

local id, actual, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local res = readHash(KEYS[1])
if not res then return cjson.encode({ status = 'unknown', reservationId = id }) end
if res.status ~= 'reserved' then return replayOutcome(res) end
local scopes = recordedScopes(res, 4)
if not scopes then return cjson.encode({ status = 'stale-keys', reservationId = id }) end

local amount = num(res.amount)
local charged = actual
if actual > amount then
  local headroom = nil
  for _, s in ipairs(scopes) do
    local spent, reserved = balance(s)
    local room = s.limit - spent - reserved
    if room < 0 then room = 0 end
    if headroom == nil or room < headroom then headroom = room end
  end
  charged = math.min(actual, amount + (headroom or 0))
end
local refunded = amount - charged
if refunded < 0 then refunded = 0 end
return resolve(res, scopes, charged, 'committed',
  { actual = fmt(actual), overrun = fmt(actual - charged), refunded = fmt(refunded) },
  now, ARGV[4], ARGV[5], ARGV[6])
