-- dispatch: hands free slots of the provider account to waiting jobs, fairly across teams.
-- First it takes back slots whose lease ran out (a worker that died between taking a slot and
-- running its job, or that stopped renewing): a job the account still knows goes back to its
-- place in its team's line, so no slot and no job is lost. Then, while a slot is free, the next
-- one goes to the team furthest below its share: the fewest slots held per unit of share
-- (weighted max-min fair sharing), among teams with a ready job and under their maxConcurrent;
-- a tie goes to the team served longest ago (round robin). The teams wait in that order in
-- KEYS[12], so a dispatch costs O(log teams). Within a team the line's order holds: production
-- before draft, higher priority first, then first in, first out.
--
-- KEYS: the twelve of enqueue.lua (ready, jobs, holders, holding, running, waiting, teams, seq,
--   events, durations, config, order)
-- ARGV[1] account limit (slots)  ARGV[2] slot lease (ms)  ARGV[3] most jobs to dispatch now
-- ARGV[4] events max length ('0': none recorded)
-- Returns the ids of the jobs that took a slot (in order).

--@include account.lua

local now = nowMs()
local limit, lease, most, maxlen = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]

for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[3], id)
  local v = redis.call('HGET', KEYS[2], id)
  local member, since = nil, nil
  if v then member, since = heldSince(v) end
  if since then redis.call('HSET', KEYS[2], id, member) end
  local team = member and teamOf(member)
  if not since then team = legacyHolding(id) or team end
  if team then count(KEYS[5], team, -1) end
  if member and redis.call('ZADD', KEYS[1], 0, member) == 1 then count(KEYS[6], teamOf(member), 1) end
  if team then reorder(team) end
  if member and teamOf(member) ~= team then reorder(teamOf(member)) end
  if maxlen ~= '0' then redis.call('XADD', KEYS[9], 'MAXLEN', '~', maxlen, '*', 'e', 'expired', 'team', team or '', 'job', id) end
end

local room = math.min(most, limit - redis.call('ZCARD', KEYS[3]))
if room <= 0 then return {} end
return handOut(now, lease, room, maxlen)
