-- reserve: reserves the first candidate that fits every scope, in one atomic step, or none.
-- Idempotent: a reservation id that exists answers what it answered the first time, as a replay.
--
-- KEYS[1]  reservation hash            KEYS[2]  lease set (zset: id -> lease deadline ms)
-- KEYS[3]  audit stream
-- KEYS[4]  project budget config       KEYS[5..8]   project balance for window none, day, week, month
-- KEYS[9]  team budget config          KEYS[10..13] team balance for window none, day, week, month
-- ARGV[1]  reservation id   ARGV[2] team   ARGV[3] project   ARGV[4] now (ms)   ARGV[5] lease (ms)
-- ARGV[6]  audit stream max length     ARGV[7] actor (who asks, for the audit)
-- ARGV[8..11] window ids for none, day, week, month   ARGV[12] retention of a rejected record (ms)
-- ARGV[13] number of candidates N, then N pairs: cost (micro-units), ceiling (ppm of the limit)
-- Returns a flat array (no JSON: this is the hot path):
--   { status ('reserved'|'rejected'), replayed (0|1), candidate (0-based, -1 if none), amount,
--     leaseUntil, reason ('' | 'insufficient-budget' | 'no-budget'), scope views, fired alerts }
--   scope views "kind|name|window|limit|spent|reserved|available;…", alerts "scope|name|window|ppm|limit|spent|reserved;…"
--@include util.lua

local PERIODS = { none = 1, daily = 2, weekly = 3, monthly = 4 }
local id, team, project, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local leaseMs, auditMax, actor = tonumber(ARGV[5]), ARGV[6], ARGV[7]

local r = redis.call('HMGET', KEYS[1], 'status', 'candidate', 'amount', 'leaseUntil', 'reason', 'pw', 'pv', 'tw', 'tv', 'project')
if r[1] then
  -- The first answer: a reservation that resolved since still answers 'reserved' here.
  local status = r[1] == 'rejected' and 'rejected' or 'reserved'
  return { status, 1, tonumber(r[2]), r[3] or '', r[4] or '', r[5] or '',
    recordedViews(r[10], team, r[6], r[7], r[8], r[9]), '' }
end

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

local function reject(reason)
  redis.call('HSET', KEYS[1], unpack(recordFields({ 'id', id, 'team', team, 'project', project, 'status', 'rejected',
    'createdAt', ARGV[4], 'candidate', -1, 'reason', reason }, scopes)))
  redis.call('PEXPIRE', KEYS[1], ARGV[12])
  audit(KEYS[3], auditMax, balanceFields({ 'op', 'reject', 'at', ARGV[4], 'id', id, 'project', project,
    'actor', actor, 'reason', reason }, scopes))
  return { 'rejected', 0, -1, '', '', reason, encodeViews(scopes), '' }
end

if not projectScope then return reject('no-budget') end

local chosen, amount = nil, 0
for c = 1, tonumber(ARGV[13]) do
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

local leaseUntil = fmt(now + leaseMs)
for _, s in ipairs(scopes) do adjust(s, 'reserved', amount) end
redis.call('ZADD', KEYS[2], leaseUntil, id)
local fired = {}
for _, s in ipairs(scopes) do fireAlerts(s, KEYS[3], auditMax, now, fired) end
redis.call('HSET', KEYS[1], unpack(recordFields({ 'id', id, 'team', team, 'project', project, 'status', 'reserved',
  'createdAt', ARGV[4], 'amount', fmt(amount), 'candidate', chosen - 1, 'leaseUntil', leaseUntil }, scopes)))
audit(KEYS[3], auditMax, balanceFields({ 'op', 'reserve', 'at', ARGV[4], 'id', id, 'project', project,
  'actor', actor, 'amount', fmt(amount), 'candidate', chosen - 1 }, scopes))
return { 'reserved', 0, chosen - 1, fmt(amount), leaseUntil, '', encodeViews(scopes), encodeAlerts(fired) }
