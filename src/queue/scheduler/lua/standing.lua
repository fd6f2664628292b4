-- standing: where one job stands on the account, read in one step so the figures agree.
--
-- KEYS: the twelve of enqueue.lua (ready, jobs, holders, holding, running, waiting, teams, seq,
--   events, durations, config, order)
-- ARGV[1] job id  ARGV[2] team  ARGV[3] durations kept (release.lua trims the list in batches)
-- Returns nil when the account does not know the job (never admitted to it, or finished);
-- else { state ('running' | 'waiting'), jobs of its team ahead of it, its team's slots held,
--        its team's "<share> <maxConcurrent>", slots held in all, the limit,
--        the sum of the shares of the teams that hold or wait for slots, durations... }

--@include account.lua

local id, team = ARGV[1], ARGV[2]
local member = redis.call('HGET', KEYS[2], id)
if not member or teamOf(member) ~= team then return nil end
local state = redis.call('ZSCORE', KEYS[3], id) and 'running' or 'waiting'
local ahead = 0
if state == 'waiting' then ahead = redis.call('ZLEXCOUNT', KEYS[1], '[' .. team .. '|', '(' .. member) end
local busy = {}
for _, key in ipairs({ KEYS[5], KEYS[6] }) do
  local h = redis.call('HGETALL', key)
  for i = 1, #h, 2 do if tonumber(h[i + 1]) > 0 then busy[h[i]] = true end end
end
busy[team] = true
local shares = 0
for name in pairs(busy) do
  local cfg = redis.call('HGET', KEYS[7], name) or '1 0'
  shares = shares + tonumber(string.match(cfg, '^(%S+)'))
end
local out = {
  state, ahead, tonumber(redis.call('HGET', KEYS[5], team) or '0'), redis.call('HGET', KEYS[7], team) or '1 0',
  redis.call('ZCARD', KEYS[3]), redis.call('HGET', KEYS[11], 'limit') or '', tostring(shares),
}
for _, d in ipairs(redis.call('LRANGE', KEYS[10], 0, tonumber(ARGV[3]) - 1)) do out[#out + 1] = d end
return out
