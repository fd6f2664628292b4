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
-- ARGV[9..12] window ids the keys were built for: none, day, week, month
-- ARGV[13] number of candidates N, then N pairs: cost (micro-units), ceiling (ppm of the limit)
-- then, from H = 14 + 2N: ARGV[H] the history's retention (ms), ARGV[H+1] the caller's job id
-- (or empty), ARGV[H+2 .. H+1+N] per candidate its history tag
-- "model|estimate (micro-units)|downgraded (1|0)|rule=saving;rule=saving" (history.lua)
-- Returns a flat array (no JSON: this is the hot path):
--   { status ('reserved'|'rejected'|'retry'), replayed (0|1), candidate (0-based, -1 if none),
--     amount, leaseUntil (for 'retry': the script's now), reason ('' | 'insufficient-budget' |
--     'no-budget'), scope views, fired alerts, history day }
--   scope views "kind|name|window|limit|spent|reserved|available;…", alerts "scope|name|window|ppm|limit|spent|reserved;…"
--@include clock.lua
--@include windows.lua
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
local team, project, leaseMs, retentionMs = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
local firstWindow, candidateCount, firstCandidate = 9, tonumber(ARGV[13]), 14
local historyAt = firstCandidate + 2 * candidateCount
local callerJobId = ARGV[historyAt + 1]

local r = redis.call('HMGET', reservationKey, 'status', 'candidate', 'amount', 'leaseUntil', 'reason', 'pw', 'pv', 'tw', 'tv', 'project', 'hd')
if r[1] then
  -- The first answer: a reservation that resolved since still answers 'reserved' here.
  local status = r[1] == 'rejected' and 'rejected' or 'reserved'
  return { status, 1, tonumber(r[2]), r[3] or '', r[4] or '', r[5] or '',
    recordedViews(r[10], team, r[6], r[7], r[8], r[9]), '', r[11] or '' }
end

local now = clockNow(nowArg)
local day = windowOf('daily', now)
-- The history's key names the day too: the same retry as a balance key's window.
local skewed = day ~= ARGV[firstWindow + 1]
local history = { key = KEYS[14], retention = ARGV[historyAt] }

-- Candidate c's history tag: its model, estimate (micro-units), whether it is a downgrade, and
-- its savings as "rule=saving;…".
local function tagOf(c)
  local model, estimate, downgraded, savings = string.match(ARGV[historyAt + 1 + c] or '', '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return { model = (model and model ~= '') and model or '-', estimate = estimate or '', downgraded = downgraded == '1', savings = savings or '' }
end

local function openScope(kind, name, cfgKey, firstBal)
  local cfg = redis.call('HMGET', cfgKey, 'limit', 'period', 'alerts')
  if not cfg[1] then return nil end
  local idx = PERIODS[cfg[2]] or 1
  local window = windowOf(PERIOD_NAMES[idx], now)
  if window ~= ARGV[firstWindow + idx - 1] then skewed = true end
  return { kind = kind, name = name, cfg = cfgKey, bal = KEYS[firstBal + idx - 1], window = window,
    limit = num(cfg[1]), alerts = cfg[3] }
end

local scopes = {}
local projectScope = openScope('project', project, projectConfigKey, firstProjectBalance)
local teamScope = openScope('team', team, teamConfigKey, firstTeamBalance)
if skewed then return { 'retry', 0, -1, '', fmt(now), '', '', '', '' } end
if projectScope then scopes[#scopes + 1] = projectScope end
if teamScope then scopes[#scopes + 1] = teamScope end

-- The first candidate that fits every scope under its ceiling: its number and cost, or nil.
local function choose()
  for c = 1, candidateCount do
    local cost, ppm = tonumber(ARGV[firstCandidate + 2 * (c - 1)]), tonumber(ARGV[firstCandidate + 2 * c - 1])
    local fitsAll = true
    for _, s in ipairs(scopes) do
      local spent, reserved = balance(s)
      if not fits(s.limit, spent, reserved, cost, ppm) then fitsAll = false break end
    end
    if fitsAll then return c, cost end
  end
  return nil, 0
end

-- A project without a budget is any name a caller chose: its rejections count under '-', so the
-- history holds only projects that have budgets.
local function reject(reason)
  redis.call('HSET', reservationKey, unpack(recordFields({ 'id', id, 'team', team, 'project', project,
    'status', 'rejected', 'createdAt', fmt(now), 'candidate', -1, 'reason', reason, 'hd', day }, scopes)))
  redis.call('PEXPIRE', reservationKey, retentionMs)
  audit(auditKey, auditMax, balanceFields({ 'op', 'reject', 'at', fmt(now), 'id', id, 'project', project,
    'actor', actor, 'reason', reason }, scopes))
  histAdd(history, projectScope and project or '-', tagOf(1).model, 'n.rej.' .. reason, 1)
  histKeep(history)
  return { 'rejected', 0, -1, '', '', reason, encodeViews(scopes), '', day }
end

if not projectScope then return reject('no-budget') end
local chosen, amount = choose()
if not chosen then return reject('insufficient-budget') end

local leaseUntil = fmt(now + leaseMs)
for _, s in ipairs(scopes) do adjust(s, 'reserved', amount) end
redis.call('ZADD', leasesKey, leaseUntil, id)
local fired = {}
for _, s in ipairs(scopes) do fireAlerts(s, auditKey, auditMax, now, fired) end
local tag = tagOf(chosen)
local estimate = tag.estimate ~= '' and tag.estimate or fmt(amount)
-- hd, hm, he, hj: the history's day, model, estimate and the caller's job id (history.lua).
redis.call('HSET', reservationKey, unpack(recordFields({ 'id', id, 'team', team, 'project', project, 'status', 'reserved',
  'createdAt', fmt(now), 'amount', fmt(amount), 'candidate', chosen - 1, 'leaseUntil', leaseUntil,
  'hd', day, 'hm', tag.model, 'he', estimate, 'hj', callerJobId }, scopes)))
audit(auditKey, auditMax, balanceFields({ 'op', 'reserve', 'at', fmt(now), 'id', id, 'project', project,
  'actor', actor, 'amount', fmt(amount), 'candidate', chosen - 1 }, scopes))
histAdd(history, project, tag.model, 'rsv', amount)
histAdd(history, project, tag.model, tag.downgraded and 'n.dwn' or 'n.adm', 1)
-- Savings by rule are the project's, not the model's: fewer fields per day (docs/ledger.md).
for rule, saving in string.gmatch(tag.savings, '([^;=]+)=([^;]+)') do
  histAdd(history, project, '-', 's.' .. rule, tonumber(saving))
end
histKeep(history)
return { 'reserved', 0, chosen - 1, fmt(amount), leaseUntil, '', encodeViews(scopes), encodeAlerts(fired), day }
