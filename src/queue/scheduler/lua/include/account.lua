-- The account's shared pieces: Redis's clock, the team of a line member, and the order of teams.
-- Every script takes the same twelve keys (see enqueue.lua); these helpers use them by position.

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function teamOf(member) return string.match(member, '^([^|]*)|') end

-- Adds `by` to a team's count in a hash, dropping the field at zero.
local function count(key, team, by)
  if redis.call('HINCRBY', key, team, by) <= 0 then redis.call('HDEL', key, team) end
end

-- Puts the team in its place in KEYS[12] (order): teams with a ready job and under their cap, by
-- slots held per unit of share, ties by the turn they were last served (oldest first: lex order of
-- the member). Called after anything that changes the team's waiting, running or share.
local function reorder(team)
  local old = redis.call('HGET', KEYS[7], '>' .. team)
  if old then redis.call('ZREM', KEYS[12], old) end
  local share, cap = string.match(redis.call('HGET', KEYS[7], team) or '1 0', '^(%S+) (%S+)$')
  share, cap = tonumber(share), tonumber(cap)
  local run = tonumber(redis.call('HGET', KEYS[5], team) or '0')
  local waiting = tonumber(redis.call('HGET', KEYS[6], team) or '0')
  if waiting > 0 and (cap == 0 or run < cap) then
    local member = string.format('%015d', tonumber(redis.call('HGET', KEYS[7], '#' .. team) or '0')) .. '|' .. team
    redis.call('ZADD', KEYS[12], run / share, member)
    redis.call('HSET', KEYS[7], '>' .. team, member)
  elseif old then
    redis.call('HDEL', KEYS[7], '>' .. team)
  end
end
