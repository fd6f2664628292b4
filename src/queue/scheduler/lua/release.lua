-- release: the job is done with the account (it ended, was cancelled, or can no longer run). Its
-- slot, if it holds one, goes back, how long it held it joins the recent task durations (the
-- start estimates' basis), and it leaves its team's line if it was still waiting. Idempotent.
--
-- KEYS: the twelve of enqueue.lua (ready, jobs, holders, holding, running, waiting, teams, seq,
--   events, durations, config, order)
-- ARGV[1] job id  ARGV[2] events max length  ARGV[3] wake channel  ARGV[4] durations kept
-- Returns 'slot' when a slot was given back, 'waiting' when it left the line, '' when it was unknown.

--@include account.lua

local now = nowMs()
local id = ARGV[1]
local was = ''
local member = redis.call('HGET', KEYS[2], id)
if redis.call('ZREM', KEYS[3], id) == 1 then
  was = 'slot'
  local team, since = string.match(redis.call('HGET', KEYS[4], id) or '', '^([^|]*)|(%d+)$')
  if team then
    count(KEYS[5], team, -1)
    redis.call('LPUSH', KEYS[10], now - tonumber(since))
    redis.call('LTRIM', KEYS[10], 0, tonumber(ARGV[4]) - 1)
    if not member then reorder(team) end
  end
  redis.call('XADD', KEYS[9], 'MAXLEN', '~', ARGV[2], '*', 'e', 'end', 'team', team or '', 'job', id)
  redis.call('PUBLISH', ARGV[3], 'free')
end
redis.call('HDEL', KEYS[4], id)
if member then
  redis.call('HDEL', KEYS[2], id)
  local team = teamOf(member)
  if redis.call('ZREM', KEYS[1], member) == 1 then
    count(KEYS[6], team, -1)
    if was == '' then was = 'waiting' end
  end
  reorder(team)
end
return was
