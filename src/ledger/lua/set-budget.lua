-- set-budget: sets a scope's limit, period and alert thresholds. Never touches spent or reserved
-- (they live in the window's balance hash); setting the same values again changes nothing.
--
-- KEYS[1] budget config hash   KEYS[2] audit stream
-- ARGV[1] scope name (team or project)   ARGV[2] now (ms; empty: Redis's TIME)
-- ARGV[3] audit stream max length   ARGV[4] actor   ARGV[5] scope (team|project)
-- ARGV[6] limit (micro-units)   ARGV[7] period (none|daily|weekly|monthly)
-- ARGV[8] alert thresholds (ppm, ascending, comma-separated, may be empty)
-- Returns JSON: { changed = true|false }
--@include clock.lua
--@include fmt.lua
--@include audit.lua

local configKey, auditKey = KEYS[1], KEYS[2]
local name, nowArg, auditMax, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local scope, limit, period, alerts = ARGV[5], ARGV[6], ARGV[7], ARGV[8]

local cur = redis.call('HMGET', configKey, 'limit', 'period', 'alerts')
if cur[1] == limit and cur[2] == period and (cur[3] or '') == alerts then
  return cjson.encode({ changed = false })
end
local now = fmt(clockNow(nowArg))
redis.call('HSET', configKey, 'limit', limit, 'period', period, 'alerts', alerts, 'updatedAt', now)
audit(auditKey, auditMax, { 'op', 'set-budget', 'at', now, 'actor', actor, 'scope', scope, 'name', name,
  'limit', limit, 'period', period, 'alerts', alerts, 'previousLimit', cur[1] or '' })
return cjson.encode({ changed = true })
