--@include fmt.lua
-- Spend history (docs/ledger.md, "Spend history"): one hash per team and day. Its measures are
-- packed, a few to a field, so a day of a team-project costs a few fields per model rather than
-- one per measure (the field names were most of its bytes): field "<project>|<model>|<group>"
-- holds the group's integers (micro-units or counts) in a fixed order, comma-separated, a zero
-- as nothing and trailing zeros left off. Savings by rule stay one integer field each,
-- "<project>|-|s.<rule>", as do the measures of an older writer (the reader adds both).
-- It is written in the same script as the ledger operation that causes it, and only when that
-- operation first applies (a replay returns before reaching here), so it never counts twice.
-- A reservation's money stays in the day it was reserved ("hd" in its record), as its balances
-- stay in the windows it recorded: summed over a window, the history equals the balances.

-- measure -> its group and place there; src/ledger/history.ts (PACKED) reads the same layout.
-- Groups stay short enough (hash-max-listpack-value, 64 bytes) for Redis's compact encoding:
-- the money a job always moves ('$') apart from the corrections ('c') that are mostly zero, and
-- the jobs by outcome, rejections by code last ('n'). A chain of comparisons, not a table: a
-- table would be built again on every call of every script.
local function packedPlace(m)
  if m == 'rsv' then return '$', 1 elseif m == 'com' then return '$', 2 elseif m == 'rel' then return '$', 3
  elseif m == 'est' then return '$', 4 elseif m == 'rec' then return 'c', 1 elseif m == 'ovr' then return 'c', 2
  elseif m == 'unc' then return 'c', 3 elseif m == 'n.adm' then return 'n', 1 elseif m == 'n.dwn' then return 'n', 2
  elseif m == 'n.com' then return 'n', 3 elseif m == 'n.rel' then return 'n', 4 elseif m == 'n.exp' then return 'n', 5
  elseif m == 'n.rej.no-budget' then return 'n', 6 elseif m == 'n.rej.insufficient-budget' then return 'n', 7
  elseif m == 'n.rej.invalid-job' then return 'n', 8 elseif m == 'n.rej.no-project-budget' then return 'n', 9
  elseif m == 'n.rej.unpriceable' then return 'n', 10 elseif m == 'n.rej.no-candidate' then return 'n', 11 end
  return nil
end

-- Adds n (a number, or an integer's text) to one measure; a zero changes nothing. The sums wait
-- in memory for histKeep, which reads and writes every field they touch in one HMGET and one
-- HSET (a field of one measure, savings by rule, counts as place 0).
local function histAdd(h, project, model, measure, n)
  if n == 0 or n == '0' or n == '' then return end
  local group, at = packedPlace(measure)
  local field = project .. '|' .. model .. '|' .. (group or measure)
  if not h.adds then h.adds, h.order = {}, {} end
  local entry = h.adds[field]
  if not entry then
    entry = {}
    h.adds[field] = entry
    h.order[#h.order + 1] = field
  end
  at = at or 0
  entry[at] = (entry[at] or 0) + tonumber(n)
end

-- A packed group's text with `delta` added at place `at` (1-based), the rest left as it was:
-- the places before it are skipped over, not parsed.
local function bump(text, at, delta)
  local from = 1
  for k = 2, at do
    local comma = string.find(text, ',', from, true)
    if not comma then
      -- Fewer places than `at`: the missing ones are zeros.
      text = text .. string.rep(',', at - k + 1)
      comma = string.find(text, ',', from, true)
    end
    from = comma + 1
  end
  local to = string.find(text, ',', from, true)
  local sum = num(string.sub(text, from, to and to - 1 or -1)) + delta
  return string.sub(text, 1, from - 1) .. (sum ~= 0 and fmt(sum) or '') .. (to and string.sub(text, to) or '')
end

-- Writes what histAdd gathered and keeps the day for the history's retention after its last write.
local function histKeep(h)
  local fields = h.order
  if fields then
    local old = redis.call('HMGET', h.key, unpack(fields))
    local writes, gone = {}, nil
    for i, field in ipairs(fields) do
      local text, adds = old[i] or '', h.adds[field]
      if adds[0] then
        local sum = num(text) + adds[0]
        text = sum ~= 0 and fmt(sum) or ''
      else
        for at, delta in pairs(adds) do text = bump(text, at, delta) end
        -- Trailing zeros are left off; a group all zero again (a refund undid a bill) goes.
        text = string.match(text, '^(.-),*$')
      end
      if text ~= '' then
        writes[#writes + 1] = field
        writes[#writes + 1] = text
      else
        gone = gone or {}
        gone[#gone + 1] = field
      end
    end
    if #writes > 0 then redis.call('HSET', h.key, unpack(writes)) end
    if gone then redis.call('HDEL', h.key, unpack(gone)) end
  end
  h.adds, h.order = nil, nil
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
