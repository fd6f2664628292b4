-- apply-policy: makes one team's new policy version current, in one step, unless another apply
-- moved the team's head since the caller read it (the caller reads again and retries: two applies
-- never both become version N) or the content is the current version's (no new version).
-- Versions are immutable: a version's hash is written once, here, and deleted only when it falls
-- out of the kept history.
--
-- KEYS[1] the team's head (hash: version, digest)
-- KEYS[2] the new version's hash (v:<expected + 1>)
-- KEYS[3] the version that falls out of the kept history (v:<expected + 1 - keep>), or KEYS[2] when none does
-- KEYS[4] the stored card (card:<sha256>), only when the policy's card is not built in
-- ARGV[1] the version the caller read (0: none)   ARGV[2] digest   ARGV[3] by   ARGV[4] origin
-- ARGV[5] format   ARGV[6] source   ARGV[7] card ref   ARGV[8] base dir   ARGV[9] team
-- ARGV[10] the card's JSON (with KEYS[4])
-- Returns {'conflict', current} | {'unchanged', current} | {'applied', version, at (ms, Redis's clock)}

local head = redis.call('HMGET', KEYS[1], 'version', 'digest')
local current = tonumber(head[1]) or 0
if current ~= tonumber(ARGV[1]) then return {'conflict', current} end
if head[2] == ARGV[2] then return {'unchanged', current} end
local t = redis.call('TIME')
local at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local version = current + 1
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[10], 'NX') end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'team', ARGV[9], 'version', version, 'digest', ARGV[2], 'by', ARGV[3], 'at', at,
  'origin', ARGV[4], 'format', ARGV[5], 'source', ARGV[6], 'cardRef', ARGV[7], 'baseDir', ARGV[8])
redis.call('HSET', KEYS[1], 'version', version, 'digest', ARGV[2])
if KEYS[3] ~= KEYS[2] then redis.call('DEL', KEYS[3]) end
return {'applied', version, at}
