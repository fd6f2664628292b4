-- release: the job is done with the account (it ended, was cancelled, or can no longer run). Its
-- slot, if it holds one, goes back, how long it held it joins the recent task durations (the
-- start estimates' basis), and it leaves its team's line if it was still waiting. Idempotent.
-- When the caller can wake jobs itself (a process running a dispatcher), the freed slot goes on at
-- once, by dispatch's rule (see handOut), to the fairest waiting job: one script per turnover
-- instead of a release, a wake-up of every dispatcher and a dispatch. Otherwise the dispatchers are
-- woken.
--
-- KEYS: the twelve of enqueue.lua (ready, jobs, holders, holding, running, waiting, teams, seq,
--   events, durations, config, order)
-- ARGV[1] job id  ARGV[2] events max length ('0': none recorded)  ARGV[3] wake channel
-- ARGV[4] durations kept  ARGV[5] account limit ('' : wake the dispatchers instead of handing on)
-- ARGV[6] slot lease (ms)  ARGV[7] most jobs to hand slots to
-- Returns { 'slot' when a slot was given back, 'waiting' when it left the line, '' when it was
-- unknown; then the ids of the jobs that took a slot }.

--@include account.lua

local id, maxlen = ARGV[1], ARGV[2]
local was = ''
local now
if redis.call('ZREM', KEYS[3], id) == 1 then
  was = 'slot'
  now = nowMs()
  local member, since = heldSince(redis.call('HGET', KEYS[2], id) or '')
  redis.call('HDEL', KEYS[2], id)
  local team = teamOf(member)
  if not since then
    local oldTeam
    oldTeam, since = legacyHolding(id)
    team = team or oldTeam
  end
  if team then
    local run = count(KEYS[5], team, -1)
    -- Trimmed a batch at a time: readers take the newest `kept` only.
    local kept = tonumber(ARGV[4])
    if since and redis.call('LPUSH', KEYS[10], now - tonumber(since)) > kept + 50 then redis.call('LTRIM', KEYS[10], 0, kept - 1) end
    -- A job holding a slot is never in its line too (dispatch and hold take it out), so only the
    -- team's running count changed: fewer slots held, a lower score, if the team is in order; if
    -- it is not (nothing waiting, or it was at its cap), see whether it now belongs there.
    local t = redis.call('HMGET', KEYS[7], team, '#' .. team)
    local share = shareCap(t[1] or nil)
    if redis.call('ZADD', KEYS[12], 'XX', 'CH', run / share, orderMember(t[2] or nil, team)) == 0 then reorder(team, nil, run, t) end
  end
  if maxlen ~= '0' then redis.call('XADD', KEYS[9], 'MAXLEN', '~', maxlen, '*', 'e', 'end', 'team', team or '', 'job', id) end
else
  local member = redis.call('HGET', KEYS[2], id)
  if member then
    redis.call('HDEL', KEYS[2], id)
    if redis.call('ZREM', KEYS[1], member) == 1 then
      was = 'waiting'
      local team = teamOf(member)
      reorder(team, count(KEYS[6], team, -1))
    end
  end
end
local out = { was }
if was ~= 'slot' then return out end
if ARGV[5] == '' then
  redis.call('PUBLISH', ARGV[3], 'free')
  return out
end
local room = math.min(tonumber(ARGV[7]), tonumber(ARGV[5]) - redis.call('ZCARD', KEYS[3]))
if room > 0 then
  for _, next in ipairs(handOut(now, tonumber(ARGV[6]), room, maxlen)) do out[#out + 1] = next end
end
return out
