-- set-budget: sets a scope's limit, period and alert thresholds. Never touches spent or reserved
-- (they live in the window's balance hash); setting the same values again changes nothing.
--
-- KEYS[1] budget config hash   KEYS[2] audit stream
-- ARGV[1] limit (micro-units)   ARGV[2] period (none|daily|weekly|monthly)
-- ARGV[3] alert thresholds (ppm, comma-separated, may be empty)   ARGV[4] now (ms)
-- ARGV[5] audit stream max length   ARGV[6] actor   ARGV[7] scope (team|project)   ARGV[8] name
-- Returns JSON: { changed = true|false }
--@include util.lua

local cur = redis.call('HMGET', KEYS[1], 'limit', 'period', 'alerts')
if cur[1] == ARGV[1] and cur[2] == ARGV[2] and (cur[3] or '') == ARGV[3] then
  return cjson.encode({ changed = false })
end
redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'period', ARGV[2], 'alerts', ARGV[3], 'updatedAt', ARGV[4])
audit(KEYS[2], ARGV[5], { 'op', 'set-budget', 'at', ARGV[4], 'actor', ARGV[6], 'scope', ARGV[7], 'name', ARGV[8],
  'limit', ARGV[1], 'period', ARGV[2], 'alerts', ARGV[3], 'previousLimit', cur[1] or '' })
return cjson.encode({ changed = true })
