-- renew: renews a job's slot lease, if it holds one: the generator's check before a job starts and
-- on every poll of its task, so the most frequent call of the account. It is hold.lua's common
-- case on the one key it needs (a script's cost grows with the keys it is given); a job that holds
-- no slot goes on to hold.lua when it must take its slot back.
--
-- KEYS[1] holders (see enqueue.lua)
-- ARGV[1] job id  ARGV[2] slot lease (ms)
-- Returns 1 when the job holds its slot (renewed), 0 when it holds none.

--@include account.lua

if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], nowMs() + tonumber(ARGV[2]), ARGV[1])
return 1
