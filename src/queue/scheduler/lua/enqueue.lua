-- enqueue: an admitted job joins its team's ready line on the provider account. Idempotent by job
-- id: a job the account already knows (waiting, or holding a slot) is left as it is.
--
-- KEYS (every scheduler script takes the same twelve, all under the account's hash tag {acct:<name>}):
--   [1] ready     zset, all scores 0, members "<team>|<rank><seq>|<job id>" (lex order = line order)
--   [2] jobs      hash job id -> its ready member (while the account knows the job); while it holds
--                 a slot, "<member>@<slot taken at, ms>"
--   [3] holders   zset job id -> slot lease deadline (ms, Redis's clock)
--   [4] holding   hash job id -> "<team>|<slot taken at, ms>" of slots taken before [2] carried
--                 the time; read and cleared only
--   [5] running   hash team -> slots held
--   [6] waiting   hash team -> jobs in the ready line
--   [7] teams     hash team -> "<share> <maxConcurrent, 0 = none>"; "#team" -> its last turn
--   [8] seq       string counter (line order, and the teams' turns)
--   [9] events    stream of ready / start / resumed / end / expired entries (capped)
--   [10] durations list of recent slot hold times (ms), newest first
--   [11] config   hash (limit: the account's slots, as its dispatchers last set it)
--   [12] order    zset of the teams that may take a slot: score slots held / share, member "<turn>|<team>"
-- ARGV[1] job id  ARGV[2] team  ARGV[3] rank ("<stage><priority>", two characters; lower first)
-- ARGV[4] share ("" keeps the team's)  ARGV[5] maxConcurrent ("" keeps it, "0" none)
-- ARGV[6] events max length ('0': none recorded)  ARGV[7] wake channel
-- Returns 1 when the job joined the line, 0 when the account already knew it.
--
-- Every admitted job comes through here, so the common case (a team that already has jobs
-- waiting, its share unchanged) touches the line and the team's count only: the team's place in
-- order depends on neither, and the dispatchers need no wake-up, because a team that already
-- waited either gets each slot as it frees or is at its cap. Only a team's first waiting job, or
-- a changed share or cap, moves the team in order and wakes them.

--@include account.lua

local id, team = ARGV[1], ARGV[2]
-- A line position spent on a job the account already knows is harmless: positions only order.
local member = team .. '|' .. ARGV[3] .. string.format('%015d', redis.call('INCR', KEYS[8])) .. '|' .. id
if redis.call('HSETNX', KEYS[2], id, member) == 0 then return 0 end
redis.call('ZADD', KEYS[1], 0, member)
local waiting = count(KEYS[6], team, 1)
local cfg = redis.call('HGET', KEYS[7], team)
local want = cfg or '1 0'
if ARGV[4] ~= '' then want = ARGV[4] .. ' ' .. ARGV[5] end
if want ~= cfg then redis.call('HSET', KEYS[7], team, want) end
if waiting == 1 or want ~= cfg then
  reorder(team, waiting)
  redis.call('PUBLISH', ARGV[7], 'ready')
end
if ARGV[6] ~= '0' then redis.call('XADD', KEYS[9], 'MAXLEN', '~', ARGV[6], '*', 'e', 'ready', 'team', team, 'job', id) end
return 1
