-- hold: renews a job's slot lease. A job runs at the provider only while it holds a slot; its
-- worker renews the lease before it starts and on every poll, so a dead worker's slot frees itself.
-- With force (a task already running at the provider, whose lease lapsed while Redis was away or
-- the worker stalled), the job takes its slot back even past the limit: the provider is running
-- it, so the account must count it.
--
-- KEYS: the twelve of enqueue.lua (ready, jobs, holders, holding, running, waiting, teams, seq,
--   events, durations, config, order)
-- ARGV[1] job id  ARGV[2] slot lease (ms)  ARGV[3] force ("1" or "0")  ARGV[4] events max length ('0': none recorded)
-- Returns 1 when the job holds its slot (renewed), 2 when force took it back, 0 when it holds none.

--@include account.lua

local now = nowMs()
local id, lease = ARGV[1], tonumber(ARGV[2])
if redis.call('ZSCORE', KEYS[3], id) then
  redis.call('ZADD', KEYS[3], now + lease, id)
  return 1
end
if ARGV[3] ~= '1' then return 0 end
local member = redis.call('HGET', KEYS[2], id)
if not member then return 0 end
local team = teamOf(member)
local waited = redis.call('ZREM', KEYS[1], member)
local waiting = nil
if waited == 1 then waiting = count(KEYS[6], team, -1) end
redis.call('ZADD', KEYS[3], now + lease, id)
redis.call('HSET', KEYS[2], id, member .. '@' .. now)
reorder(team, waiting, redis.call('HINCRBY', KEYS[5], team, 1))
if ARGV[4] ~= '0' then redis.call('XADD', KEYS[9], 'MAXLEN', '~', ARGV[4], '*', 'e', 'resumed', 'team', team, 'job', id, 'waited', waited) end
return 2
