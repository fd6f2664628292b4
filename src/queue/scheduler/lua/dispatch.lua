-- dispatch: hands free slots of the provider account to waiting jobs, fairly across teams.
-- First it takes back slots whose lease ran out (a worker that died between taking a slot and
-- running its job, or that stopped renewing): a job the account still knows goes back to its
-- place in its team's line, so no slot and no job is lost. Then, while a slot is free, the next
-- one goes to the team furthest below its share: the fewest slots held per unit of share
-- (weighted max-min fair sharing), among teams with a ready job and under their maxConcurrent;
-- a tie goes to the team served longest ago (round robin). Within a team the line's order holds:
-- production before draft, higher priority first, then first in, first out.
--
-- KEYS: the eleven of enqueue.lua (ready, jobs, holders, holding, running, waiting, teams, seq,
--   events, durations, config)
-- ARGV[1] account limit (slots)  ARGV[2] slot lease (ms)  ARGV[3] most jobs to dispatch now
-- ARGV[4] events max length
-- Returns the ids of the jobs that took a slot (in order).

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, lease, most, maxlen = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]

local function teamOf(member) return string.match(member, '^([^|]*)|') end

local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[3], id)
  local h = redis.call('HGET', KEYS[4], id)
  redis.call('HDEL', KEYS[4], id)
  local team = h and string.match(h, '^([^|]*)|')
  if team then
    if redis.call('HINCRBY', KEYS[5], team, -1) <= 0 then redis.call('HDEL', KEYS[5], team) end
  end
  local member = redis.call('HGET', KEYS[2], id)
  if member and redis.call('ZADD', KEYS[1], 0, member) == 1 then
    redis.call('HINCRBY', KEYS[6], teamOf(member), 1)
  end
  redis.call('XADD', KEYS[9], 'MAXLEN', '~', maxlen, '*', 'e', 'expired', 'team', team or '', 'job', id)
end

local out = {}
local held = redis.call('ZCARD', KEYS[3])
while #out < most and held < limit do
  local waiting = redis.call('HGETALL', KEYS[6])
  local best, bestRatio, bestTurn
  for i = 1, #waiting, 2 do
    local team = waiting[i]
    if tonumber(waiting[i + 1]) > 0 then
      local cfg = redis.call('HGET', KEYS[7], team) or '1 0'
      local share, cap = string.match(cfg, '^(%S+) (%S+)$')
      share, cap = tonumber(share), tonumber(cap)
      local run = tonumber(redis.call('HGET', KEYS[5], team) or '0')
      if cap == 0 or run < cap then
        local ratio = run / share
        local turn = tonumber(redis.call('HGET', KEYS[7], '>' .. team) or '0')
        if not best or ratio < bestRatio or (ratio == bestRatio and turn < bestTurn) then
          best, bestRatio, bestTurn = team, ratio, turn
        end
      end
    end
  end
  if not best then break end
  local head = redis.call('ZRANGEBYLEX', KEYS[1], '[' .. best .. '|', '(' .. best .. '}', 'LIMIT', 0, 1)[1]
  if redis.call('HINCRBY', KEYS[6], best, -1) <= 0 then redis.call('HDEL', KEYS[6], best) end
  if head then
    redis.call('ZREM', KEYS[1], head)
    local id = string.match(head, '|([^|]*)$')
    redis.call('ZADD', KEYS[3], now + lease, id)
    redis.call('HSET', KEYS[4], id, best .. '|' .. now)
    local run = redis.call('HINCRBY', KEYS[5], best, 1)
    -- '>' cannot start a team name: the team's last turn lives beside its share.
    redis.call('HSET', KEYS[7], '>' .. best, redis.call('INCR', KEYS[8]))
    held = held + 1
    redis.call('XADD', KEYS[9], 'MAXLEN', '~', maxlen, '*', 'e', 'start', 'team', best, 'job', id, 'running', run, 'held', held)
    out[#out + 1] = id
  end
end
return out
