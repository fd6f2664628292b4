-- acquire-slot: takes one of a model's provider concurrency slots, or none. A slot is held for a
-- lease and refreshed while the task runs, so a crashed worker's slot frees itself.
--
-- KEYS[1] the model's slot set (zset: holder -> lease deadline ms)
-- ARGV[1] holder (job id)   ARGV[2] now (ms)   ARGV[3] lease (ms)   ARGV[4] limit
-- Returns 1 when the holder has a slot (new or refreshed), 0 when all are taken.

local now, lease, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  return 1
end
return 0
