-- reserve: reserves the first candidate that fits every scope, in one atomic step, or none.
-- Idempotent: a reservation id that exists answers what it answered the first time, as a replay.
-- The caller built the balance keys from its own guess of the time; if that guess names other
-- windows than this script's clock does, nothing is written and the answer is 'retry' with the
-- script's time, for the caller to build the keys again.
--
-- KEYS[1]  reservation hash            KEYS[2]  lease set (zset: id -> lease deadline ms)
-- KEYS[3]  audit stream
-- KEYS[4]  project budget config       KEYS[5..8]   project balance for window none, day, week, month
-- KEYS[9]  team budget config          KEYS[10..13] team balance for window none, day, week, month
-- KEYS[14] the team's history hash of the day (history.lua)
-- ARGV[1]  reservation id   ARGV[2] now (ms; empty: Redis's TIME)   ARGV[3] audit stream max length
-- ARGV[4]  actor (who asks, for the audit)   ARGV[5] team   ARGV[6] project   ARGV[7] lease (ms)
-- ARGV[8]  retention of a rejected record (ms)
-- ARGV[9]  the UTC day the keys were built for (whole days since the epoch): every window is whole
-- days, so the same day means the same windows, and the script needs no calendar to check them
-- ARGV[10..12] the window ids of that day: day, week, month (a budget without a period: "all")
-- ARGV[13] number of candidates N, then N pairs: cost (micro-units), ceiling (ppm of the limit)
-- then, from H = 14 + 2N: ARGV[H] the history's retention (ms), ARGV[H+1] the caller's job id
-- (or empty), ARGV[H+2 .. H+1+N] per candidate its history tag
-- "model|estimate (micro-units)|downgraded (1|0)|rule=saving;rule=saving" (history.lua)
-- Returns a flat array (no JSON: this is the hot path):
--   { status ('reserved'|'rejected'|'retry'), replayed (0|1), candidate (0-based, -1 if none),
--     amount, leaseUntil (for 'retry': the script's now), reason ('' | 'insufficient-budget' |
--     'no-budget'), scope views, fired alerts, history day }
--   scope views "kind|name|window|limit|spent|reserved|available;…", alerts "scope|name|window|ppm|limit|spent|reserved;…"
-- Cost (docs/ledger.md, "Cost"): the script's own work is most of a reservation's Redis CPU, and
-- most of that was turning numbers into text; amounts stay the text they came as (ARGV, HMGET)
-- wherever they are not changed, and a changed one is formatted once.
--@include clock.lua
--@include headroom.lua
--@include balance.lua
--@include audit.lua
--@include alerts.lua
--@include views.lua
--@include record.lua
--@include history.lua

local reservationKey, leasesKey, auditKey = KEYS[1], KEYS[2], KEYS[3]
local projectConfigKey, firstProjectBalance = KEYS[4], 5
local teamConfigKey, firstTeamBalance = KEYS[9], 10
local id, nowArg, auditMax, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local team, project, leaseMs, retentionMs = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local candidateCount, firstCandidate = tonumber(ARGV[13]), 14
local historyAt = firstCandidate + 2 * candidateCount
local callerJobId = ARGV[historyAt + 1]

-- A new id (the common case) has no record: one field tells, the rest only for a replay.
if redis.call('HGET', reservationKey, 'status') then
  local r = redis.call('HMGET', reservationKey, 'status', 'candidate', 'amount', 'leaseUntil', 'reason', 'pw', 'pv', 'tw', 'tv', 'project', 'hd')
  -- The first answer: a reservation that resolved since still answers 'reserved' here.
  local status = r[1] == 'rejected' and 'rejected' or 'reserved'
  return { status, 1, tonumber(r[2]), r[3] or '', r[4] or '', r[5] or '',
    recordedViews(r[10], team, r[6], r[7], r[8], r[9]), '', r[11] or '' }
end

local now = clockNow(nowArg)
local nowText = fmt(now)
-- The history's key names the day too: the same retry as a balance key's window.
if math.floor(now / 86400000) ~= tonumber(ARGV[9]) then return { 'retry', 0, -1, '', nowText, '', '', '', '' } end
local day = ARGV[10]
local history = { key = KEYS[14], retention = ARGV[historyAt] }

-- Candidate c's history tag: its model, estimate (micro-units), whether it is a downgrade, and
-- its savings as "rule=saving;…".
local function tagOf(c)
  local model, estimate, downgraded, savings = string.match(ARGV[historyAt + 1 + c] or '', '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return (model and model ~= '') and model or '-', estimate or '', downgraded == '1', savings or ''
end

local function openScope(kind, name, cfgKey, firstBal)
  local cfg = redis.call('HMGET', cfgKey, 'limit', 'period', 'alerts')
  if not cfg[1] then return nil end
  local period = cfg[2]
  local idx = period == 'monthly' and 4 or period == 'daily' and 2 or period == 'weekly' and 3 or 1
  return { kind = kind, name = name, cfg = cfgKey, bal = KEYS[firstBal + idx - 1], window = idx == 1 and 'all' or ARGV[8 + idx],
    limit = num(cfg[1]), limitText = cfg[1], alerts = cfg[3] }
end

local scopes = {}
local projectScope = openScope('project', project, projectConfigKey, firstProjectBalance)
local teamScope = openScope('team', team, teamConfigKey, firstTeamBalance)
if projectScope then scopes[#scopes + 1] = projectScope end
if teamScope then scopes[#scopes + 1] = teamScope end

-- The first candidate that fits every scope under its ceiling: its number and cost (as a number
-- and as its text), or nil.
local function choose()
  for c = 1, candidateCount do
    local costText = ARGV[firstCandidate + 2 * (c - 1)]
    local cost, ppm = tonumber(costText), tonumber(ARGV[firstCandidate + 2 * c - 1])
    local fitsAll = true
    for _, s in ipairs(scopes) do
      local spent, reserved = balance(s)
      if not fits(s.limit, spent, reserved, cost, ppm) then fitsAll = false break end
    end
    if fitsAll then return c, cost, costText end
  end
  return nil, 0, '0'
end

-- A project without a budget is any name a caller chose: its rejections count under '-', so the
-- history holds only projects that have budgets.
local function reject(reason)
  redis.call('HSET', reservationKey, unpack(recordFields({ 'id', id, 'team', team, 'project', project,
    'status', 'rejected', 'createdAt', nowText, 'candidate', '-1', 'reason', reason, 'hd', day }, scopes)))
  redis.call('PEXPIRE', reservationKey, retentionMs)
  audit(auditKey, auditMax, balanceFields({ 'op', 'reject', 'at', nowText, 'id', id, 'project', project,
    'actor', actor, 'reason', reason }, scopes))
  histAdd(history, projectScope and project or '-', (tagOf(1)), 'n.rej.' .. reason, 1)
  histKeep(history)
  return { 'rejected', 0, -1, '', '', reason, encodeViews(scopes), '', day }
end

if not projectScope then return reject('no-budget') end
local chosen, amount, amountText = choose()
if not chosen then return reject('insufficient-budget') end

local leaseUntil = fmt(now + tonumber(leaseMs))
for _, s in ipairs(scopes) do adjust(s, 'reserved', amount, amountText) end
redis.call('ZADD', leasesKey, leaseUntil, id)
local fired = {}
for _, s in ipairs(scopes) do fireAlerts(s, auditKey, auditMax, now, fired) end
local model, estimate, downgraded, savings = tagOf(chosen)
if estimate == '' then estimate = amountText end
local candidateText = fmt(chosen - 1)
-- hd, hm, he, hj: the history's day, model, estimate and the caller's job id (history.lua).
redis.call('HSET', reservationKey, unpack(recordFields({ 'id', id, 'team', team, 'project', project, 'status', 'reserved',
  'createdAt', nowText, 'amount', amountText, 'candidate', candidateText, 'leaseUntil', leaseUntil,
  'hd', day, 'hm', model, 'he', estimate, 'hj', callerJobId }, scopes)))
audit(auditKey, auditMax, balanceFields({ 'op', 'reserve', 'at', nowText, 'id', id, 'project', project,
  'actor', actor, 'amount', amountText, 'candidate', candidateText }, scopes))
histAdd(history, project, model, 'rsv', amountText)
histAdd(history, project, model, downgraded and 'n.dwn' or 'n.adm', 1)
-- Savings by rule are the project's, not the model's: fewer fields per day (docs/ledger.md).
for rule, saving in string.gmatch(savings, '([^;=]+)=([^;]+)') do
  histAdd(history, project, '-', 's.' .. rule, saving)
end
histKeep(history)
return { 'reserved', 0, chosen - 1, amountText, leaseUntil, '', encodeViews(scopes), encodeAlerts(fired), day }
