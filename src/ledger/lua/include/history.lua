--@include fmt.lua
-- Spend history (docs/ledger.md, "Spend history"): one hash per team and day, whose fields are
-- "<project>|<model>|<measure>" and whose values are integers (micro-units or counts). It is
-- written in the same script as the ledger operation that causes it, and only when that
-- operation first applies (a replay returns before reaching here), so it never counts twice.
-- A reservation's money stays in the day it was reserved ("hd" in its record), as its balances
-- stay in the windows it recorded: summed over a window, the history equals the balances.

local function histField(project, model, measure)
  return project .. '|' .. model .. '|' .. measure
end

-- Adds n to one measure; a zero changes nothing and writes nothing.
local function histAdd(h, project, model, measure, n)
  if n ~= 0 then redis.call('HINCRBY', h.key, histField(project, model, measure), fmt(n)) end
end

-- Keeps the day for the history's retention after its last write.
local function histKeep(h)
  redis.call('PEXPIRE', h.key, h.retention)
end

-- The history a settling script writes for a reservation: its day's hash (KEYS[dayAt]) and its
-- month's most expensive jobs (KEYS[dayAt + 1]), checked against the stem the client's key
-- layout gives (the key without its day), as scopes.lua checks balance keys. nil and false when
-- the record predates history (no "hd": nothing to write); nil and true when the keys are not
-- the record's (the caller must answer stale-keys).
local function recordedHistory(res, dayAt, stem, retention, topSize)
  if not res.hd then return nil, false end
  local key, top = KEYS[dayAt], KEYS[dayAt + 1]
  if key ~= stem .. res.hd or top ~= stem .. 'top:' .. string.sub(res.hd, 1, 7) then return nil, true end
  return { key = key, top = top, retention = retention, topSize = tonumber(topSize),
    project = res.project, model = res.hm or '-', estimate = res.he }, false
end

-- A job's cost in its month's bounded list of the most expensive: member
-- "<project>|<model>|<caller's job id>|<reservation id>", score the cost in micro-units. Only the
-- topSize dearest stay; `onlyIfListed` updates a job already there (a reconciled bill).
local function histTop(h, res, cost, onlyIfListed)
  local member = h.project .. '|' .. h.model .. '|' .. (res.hj or '') .. '|' .. res.id
  if onlyIfListed then
    redis.call('ZADD', h.top, 'XX', fmt(cost), member)
  else
    redis.call('ZADD', h.top, fmt(cost), member)
  end
  redis.call('ZREMRANGEBYRANK', h.top, 0, -(h.topSize + 1))
  redis.call('PEXPIRE', h.top, h.retention)
end
