-- get-budget: a scope's budget and its balances in the current window of Redis's clock. Reads only.
--
-- KEYS[1] budget config hash   KEYS[2..5] balance for window none, day, week, month
-- ARGV[1] scope name   ARGV[2] now (ms; empty: Redis's TIME)   ARGV[3] unused (audit stream max
-- length)   ARGV[4] unused (actor)   ARGV[5..8] window ids the keys were built for: none, day, week, month
-- Returns JSON: { status = 'none' } when no budget is set,
--   { status = 'retry', now } when the keys name other windows than the script's clock,
--   or { status = 'ok', limit, period, alerts, window, spent, reserved }
--@include clock.lua
--@include windows.lua
--@include fmt.lua

local configKey, firstBalance = KEYS[1], 2
local nowArg = ARGV[2]
local firstWindow = 5

local cfg = redis.call('HMGET', configKey, 'limit', 'period', 'alerts')
if not cfg[1] then return cjson.encode({ status = 'none' }) end
local idx = PERIODS[cfg[2]] or 1
local now = clockNow(nowArg)
local window = windowOf(PERIOD_NAMES[idx], now)
if window ~= ARGV[firstWindow + idx - 1] then return cjson.encode({ status = 'retry', now = fmt(now) }) end
local b = redis.call('HMGET', KEYS[firstBalance + idx - 1], 'spent', 'reserved')
return cjson.encode({ status = 'ok', limit = cfg[1], period = cfg[2], alerts = cfg[3] or '', window = window,
  spent = fmt(num(b[1])), reserved = fmt(num(b[2])) })
