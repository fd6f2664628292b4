-- get-budget: budgets and their balances in the current window of Redis's clock, for one scope or
-- several of one team (the router reads a job's project and team in one call). Reads only.
--
-- KEYS, 5 per scope: KEYS[5g+1] budget config hash, KEYS[5g+2..5g+5] balance for window none,
--   day, week, month
-- ARGV[1] scope names (for the reply's order only)   ARGV[2] now (ms; empty: Redis's TIME)
-- ARGV[3] unused (audit stream max length)   ARGV[4] unused (actor)
-- ARGV[5..8] window ids the keys were built for: none, day, week, month
-- Returns JSON: { status = 'retry', now } when the keys name other windows than the script's clock,
--   or { status = 'ok', scopes = [ { status = 'none' } | { status = 'ok', limit, period, alerts,
--   fired (the thresholds, ppm, that fired in this window), window, spent, reserved }, … ] } in the
--   order of the KEYS groups
--@include clock.lua
--@include windows.lua
--@include fmt.lua

local KEYS_PER_SCOPE = 5
local nowArg = ARGV[2]
local firstWindow = 5
local now = clockNow(nowArg)

local scopes = {}
for g = 0, #KEYS / KEYS_PER_SCOPE - 1 do
  local configKey, firstBalance = KEYS[g * KEYS_PER_SCOPE + 1], g * KEYS_PER_SCOPE + 2
  local cfg = redis.call('HMGET', configKey, 'limit', 'period', 'alerts')
  if not cfg[1] then
    scopes[#scopes + 1] = { status = 'none' }
  else
    local idx = PERIODS[cfg[2]] or 1
    local window = windowOf(PERIOD_NAMES[idx], now)
    if window ~= ARGV[firstWindow + idx - 1] then return cjson.encode({ status = 'retry', now = fmt(now) }) end
    local balanceKey = KEYS[firstBalance + idx - 1]
    local b = redis.call('HMGET', balanceKey, 'spent', 'reserved')
    -- The thresholds that fired in this window: the balance hash remembers each (alerts.lua).
    local fired = {}
    for part in string.gmatch(cfg[3] or '', '[^,]+') do
      if redis.call('HEXISTS', balanceKey, 'alert:' .. fmt(tonumber(part))) == 1 then fired[#fired + 1] = part end
    end
    scopes[#scopes + 1] = { status = 'ok', limit = cfg[1], period = cfg[2], alerts = cfg[3] or '', fired = table.concat(fired, ','),
      window = window, spent = fmt(num(b[1])), reserved = fmt(num(b[2])) }
  end
end
return cjson.encode({ status = 'ok', scopes = scopes })
