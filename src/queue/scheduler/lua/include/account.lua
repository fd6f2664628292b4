-- The account's shared pieces: Redis's clock, the team of a line member, the order of teams, and
-- handing free slots out. Every script takes the same twelve keys (see enqueue.lua); these helpers
-- use them by position. Each redis.call is most of a script's cost, so the helpers take what the
-- caller already knows instead of reading it again.

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function teamOf(member) return string.match(member, '^([^|]*)|') end

-- Adds `by` to a team's count in a hash, dropping the field at zero; returns the new count.
local function count(key, team, by)
  local n = redis.call('HINCRBY', key, team, by)
  if n <= 0 then redis.call('HDEL', key, team) end
  return n
end

-- "<share> <maxConcurrent>" as two numbers (an unknown team: share 1, no cap).
local function shareCap(cfg)
  local share, cap = string.match(cfg or '1 0', '^(%S+) (%S+)$')
  return tonumber(share), tonumber(cap)
end

-- A team's member in KEYS[12] (order): its last turn, so ties go to the team served longest ago
-- (lex order of equal scores), then its name. The turn lives in KEYS[7] under "#team", and the
-- member is always made from it, so the member now in order is known without a lookup.
local function orderMember(turn, team) return string.format('%015d', tonumber(turn or '0')) .. '|' .. team end

-- Puts the team in its place in order, or takes it out: in while it has a ready job and is under
-- its cap, scored by slots held per unit of share. Called after anything that changes the team's
-- waiting, running or share; what the caller does not know (nil) is read. `t`: the team's
-- { "<share> <cap>", turn } from KEYS[7], when the caller has read them.
local function reorder(team, waiting, run, t)
  t = t or redis.call('HMGET', KEYS[7], team, '#' .. team)
  local share, cap = shareCap(t[1] or nil)
  waiting = waiting or tonumber(redis.call('HGET', KEYS[6], team) or '0')
  run = run or tonumber(redis.call('HGET', KEYS[5], team) or '0')
  local member = orderMember(t[2] or nil, team)
  if waiting > 0 and (cap == 0 or run < cap) then
    redis.call('ZADD', KEYS[12], run / share, member)
  else
    redis.call('ZREM', KEYS[12], member)
  end
end

-- A job's value in KEYS[2] (jobs) is its line member, and while it holds a slot the member, "@"
-- and when it took the slot (Redis's clock, ms); neither team names nor job ids hold "@". Returns
-- the member and that time (nil while it waits).
local function heldSince(v)
  local member, since = string.match(v, '^(.*)@(%d+)$')
  if member then return member, tonumber(since) end
  return v, nil
end

-- A slot taken before the jobs hash carried its start time is in KEYS[4] as "<team>|<ms>":
-- its team and start (nil, nil if it is not there), the entry deleted.
local function legacyHolding(id)
  local h = redis.call('HGET', KEYS[4], id)
  if not h then return nil, nil end
  redis.call('HDEL', KEYS[4], id)
  return string.match(h, '^([^|]*)|(%d+)$')
end

-- Hands up to `room` free slots to waiting jobs: each to the head of the line of the team first in
-- order (the fewest slots held per unit of share; ties to the team served longest ago), which then
-- takes its new place. ARGV-free: the caller passes the time, the lease and the events' length
-- ('0': none recorded). Returns the ids of the jobs that took a slot, in order.
local function handOut(now, lease, room, maxlen)
  local out = {}
  while #out < room do
    local first = redis.call('ZPOPMIN', KEYS[12])[1]
    if not first then break end
    local team = string.match(first, '^%d+|(.*)$')
    local head = redis.call('ZRANGEBYLEX', KEYS[1], '[' .. team .. '|', '(' .. team .. '}', 'LIMIT', 0, 1)[1]
    local waiting = count(KEYS[6], team, -1)
    local share, cap = shareCap(redis.call('HGET', KEYS[7], team))
    local run, member = nil, first
    if head then
      redis.call('ZREM', KEYS[1], head)
      local id = string.match(head, '|([^|]*)$')
      redis.call('ZADD', KEYS[3], now + lease, id)
      redis.call('HSET', KEYS[2], id, head .. '@' .. now)
      run = redis.call('HINCRBY', KEYS[5], team, 1)
      local turn = redis.call('INCR', KEYS[8])
      redis.call('HSET', KEYS[7], '#' .. team, turn)
      member = orderMember(turn, team)
      if maxlen ~= '0' then redis.call('XADD', KEYS[9], 'MAXLEN', '~', maxlen, '*', 'e', 'start', 'team', team, 'job', id) end
      out[#out + 1] = id
    else
      -- The count disagreed with the line; the decrement above corrects it.
      run = tonumber(redis.call('HGET', KEYS[5], team) or '0')
    end
    if waiting > 0 and (cap == 0 or run < cap) then redis.call('ZADD', KEYS[12], run / share, member) end
  end
  return out
end
