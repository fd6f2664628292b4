-- reserve: reserves the first candidate that fits every scope, in one atomic step, or none.
-- Idempotent: a reservation id that exists returns its first result, marked as a replay.
--
-- KEYS[1]  reservation hash            KEYS[2]  lease set (zset: id -> lease deadline ms)
-- KEYS[3]  audit stream
-- KEYS[4]  project budget config       KEYS[5..8]   project balance for window none, day, week, month
-- KEYS[9]  team budget config          KEYS[10..13] team balance for window none, day, week, month
-- ARGV[1]  reservation id   ARGV[2] team   ARGV[3] project   ARGV[4] now (ms)   ARGV[5] lease (ms)
-- ARGV[6]  audit stream max length     ARGV[7] actor (who asks, for the audit)
-- ARGV[8..11] window ids for none, day, week, month   ARGV[12] retention of a finished record (ms)
-- ARGV[13] number of candidates N, then N pairs: cost (micro-units), ceiling (ppm of the limit)
-- Returns JSON: { status = 'reserved', candidate (0-based), amount, leaseUntil, scopes, alerts }
--            or { status = 'rejected', reason, scopes }
--@include util.lua

local PERIODS = { none = 1, daily = 2, weekly = 3, monthly = 4 }
local id, team, project, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local leaseMs, auditMax, actor, retentionMs = tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[12]

local existing = readHash(KEYS[1])
if existing then return replay(existing, 'result') end

local function openScope(kind, name, cfgKey, firstBal)
  local cfg = redis.call('HMGET', cfgKey, 'limit', 'period', 'alerts')
  if not cfg[1] then return nil end
  local idx = PERIODS[cfg[2]] or 1
  return { kind = kind, name = name, cfg = cfgKey, bal = KEYS[firstBal + idx - 1], window = ARGV[7 + idx],
    limit = num(cfg[1]), alerts = cfg[3] }
end

local scopes = {}
local projectScope = openScope('project', project, KEYS[4], 5)
local teamScope = openScope('team', team, KEYS[9], 10)
if projectScope then scopes[#scopes + 1] = projectScope end
if teamScope then scopes[#scopes + 1] = teamScope end

local function finish(result, fields)
  local encoded = cjson.encode(result)
  redis.call('HSET', KEYS[1], 'id', id, 'team', team, 'project', project, 'status', result.status,
    'createdAt', now, 'result', encoded, unpack(fields))
  return encoded
end

local function reject(reason)
  local views = {}
  for i, s in ipairs(scopes) do views[i] = scopeView(s) end
  local encoded = finish({ status = 'rejected', reservationId = id, reason = reason, scopes = views }, {})
  redis.call('PEXPIRE', KEYS[1], retentionMs)
  audit(KEYS[3], auditMax, balanceFields({ 'op', 'reject', 'at', now, 'id', id, 'team', team,
    'project', project, 'actor', actor, 'reason', reason }, scopes))
  return encoded
end

if not projectScope then return reject('no-budget') end

local n = tonumber(ARGV[13])
local chosen, amount = nil, 0
for c = 1, n do
  local cost, ppm = tonumber(ARGV[12 + 2 * c]), tonumber(ARGV[13 + 2 * c])
  local fits = true
  for _, s in ipairs(scopes) do
    local spent, reserved = balance(s)
    local cap = s.limit
    if ppm < 1000000 then cap = threshold(s.limit, ppm) end
    if spent + reserved + cost > cap then fits = false break end
  end
  if fits then chosen, amount = c, cost break end
end
if not chosen then return reject('insufficient-budget') end

local leaseUntil = now + leaseMs
local recorded = {}
for i, s in ipairs(scopes) do
  adjust(s, 'reserved', amount)
  recorded[i] = { kind = s.kind, name = s.name, window = s.window, bal = s.bal, cfg = s.cfg }
end
redis.call('ZADD', KEYS[2], fmt(leaseUntil), id)
local alerts = {}
for _, s in ipairs(scopes) do fireAlerts(s, KEYS[3], auditMax, now, alerts) end
local views = {}
for i, s in ipairs(scopes) do views[i] = scopeView(s) end
local encoded = finish({ status = 'reserved', reservationId = id, candidate = chosen - 1, amount = fmt(amount),
  leaseUntil = fmt(leaseUntil), scopes = views, alerts = alerts },
  { 'amount', fmt(amount), 'candidate', chosen - 1, 'leaseUntil', fmt(leaseUntil), 'scopes', cjson.encode(recorded) })
audit(KEYS[3], auditMax, balanceFields({ 'op', 'reserve', 'at', now, 'id', id, 'team', team, 'project', project,
  'actor', actor, 'amount', fmt(amount), 'candidate', chosen - 1 }, scopes))
return encoded
