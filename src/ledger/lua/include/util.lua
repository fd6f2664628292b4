-- Shared helpers, inlined into the ledger scripts by the loader (`--@include util.lua`).
-- Amounts are integer micro-units. Lua numbers are doubles, exact below 2^53 (about 9e9 units of
-- currency); setBudget refuses limits above 1e9 so every sum stays exact.

-- An integer as a string without exponent, for HINCRBY, XADD and JSON. tostring is exact up to
-- 14 digits and much cheaper than string.format, which takes the rest.
local function fmt(n)
  if n < 1e14 and n > -1e14 then return tostring(n) end
  return string.format('%.0f', n)
end

local function num(v)
  if v == false or v == nil then return 0 end
  return tonumber(v) or 0
end

-- floor(limit * ppm / 1e6) without ever forming limit * ppm (which could pass 2^53).
local function threshold(limit, ppm)
  local q = math.floor(limit / 1000000)
  local r = limit - q * 1000000
  return q * ppm + math.floor(r * ppm / 1000000)
end

-- spent and reserved of one scope in one window, read once per script and kept on the scope
-- table; `adjust` keeps that copy in step with what the script writes.
local function balance(scope)
  if scope.spent == nil then
    local b = redis.call('HMGET', scope.bal, 'spent', 'reserved')
    scope.spent, scope.reserved = num(b[1]), num(b[2])
  end
  return scope.spent, scope.reserved
end

local function adjust(scope, field, delta)
  balance(scope)
  redis.call('HINCRBY', scope.bal, field, fmt(delta))
  scope[field] = scope[field] + delta
end

local function splitCsv(s)
  local out = {}
  if s == nil or s == false or s == '' then return out end
  for part in string.gmatch(s, '[^,]+') do out[#out + 1] = tonumber(part) end
  return out
end

local function audit(auditKey, auditMax, fields)
  redis.call('XADD', auditKey, 'MAXLEN', '~', auditMax, '*', unpack(fields))
end

-- Fires each alert threshold (ppm of the limit) that spent + reserved has reached and that has not
-- fired in this window yet; the window's balance hash remembers which fired, so a new window
-- starts with none fired.
local function fireAlerts(scope, auditKey, auditMax, now, fired)
  if scope.limit <= 0 or scope.alerts == nil or scope.alerts == false or scope.alerts == '' then return end
  local spent, reserved = balance(scope)
  -- Thresholds are stored ascending: below the first, none can fire (the common case, and cheap).
  if spent + reserved < threshold(scope.limit, tonumber(string.match(scope.alerts, '^%d+'))) then return end
  for _, ppm in ipairs(splitCsv(scope.alerts)) do
    if spent + reserved >= threshold(scope.limit, ppm) and redis.call('HSETNX', scope.bal, 'alert:' .. fmt(ppm), now) == 1 then
      fired[#fired + 1] = { scope = scope.kind, name = scope.name, window = scope.window, threshold = fmt(ppm),
        limit = fmt(scope.limit), spent = fmt(spent), reserved = fmt(reserved) }
      audit(auditKey, auditMax, { 'op', 'alert', 'at', now, 'scope', scope.kind, 'name', scope.name,
        'window', scope.window, 'threshold', fmt(ppm), 'limit', fmt(scope.limit), 'spent', fmt(spent),
        'reserved', fmt(reserved) })
    end
  end
end

-- Fired alerts for a reply, without JSON: "scope|name|window|ppm|limit|spent|reserved;…".
local function encodeAlerts(fired)
  local parts = {}
  for i, a in ipairs(fired) do
    parts[i] = a.scope .. '|' .. a.name .. '|' .. a.window .. '|' .. a.threshold .. '|' .. a.limit .. '|' .. a.spent .. '|' .. a.reserved
  end
  return table.concat(parts, ';')
end

-- A scope's balances for results and audit entries.
local function viewObject(kind, name, window, limit, spent, reserved)
  local available = limit - spent - reserved
  if available < 0 then available = 0 end
  return { scope = kind, name = name, window = window, limit = fmt(limit), spent = fmt(spent),
    reserved = fmt(reserved), available = fmt(available) }
end

local function scopeView(scope)
  local spent, reserved = balance(scope)
  return viewObject(scope.kind, scope.name, scope.window, scope.limit, spent, reserved)
end

-- A scope as the reservation hash records it: its window ("pw"/"tw") and its balances when the
-- reservation was decided ("pv"/"tv" = "limit|spent|reserved"). Each value stays short, so Redis
-- keeps the hash in its compact encoding (hash-max-listpack-value, 64 bytes by default): full key
-- names would not fit, and a reservation is the one record written for every job.
local RECORD_TAG = { project = 'p', team = 't' }

local function balancesText(scope)
  local spent, reserved = balance(scope)
  return fmt(scope.limit) .. '|' .. fmt(spent) .. '|' .. fmt(reserved)
end

local function recordFields(fields, scopes)
  for _, s in ipairs(scopes) do
    local tag = RECORD_TAG[s.kind]
    fields[#fields + 1] = tag .. 'w'
    fields[#fields + 1] = s.window
    fields[#fields + 1] = tag .. 'v'
    fields[#fields + 1] = balancesText(s)
  end
  return fields
end

local function splitBalances(text)
  local limit, spent, reserved = string.match(text, '^([^|]*)|([^|]*)|([^|]*)$')
  return num(limit), num(spent), num(reserved)
end

-- One scope's view as reserve replies it, without JSON: "kind|name|window|limit|spent|reserved|available".
local function viewText(kind, name, window, limit, spent, reserved)
  local v = viewObject(kind, name, window, limit, spent, reserved)
  return table.concat({ v.scope, v.name, v.window, v.limit, v.spent, v.reserved, v.available }, '|')
end

local function encodeViews(scopes)
  local parts = {}
  for i, s in ipairs(scopes) do
    local spent, reserved = balance(s)
    parts[i] = viewText(s.kind, s.name, s.window, s.limit, spent, reserved)
  end
  return table.concat(parts, ';')
end

-- The views a reservation answered with, rebuilt from its record (for a replay).
local function recordedViews(project, team, pw, pv, tw, tv)
  local parts = {}
  for _, s in ipairs({ { 'project', project, pw, pv }, { 'team', team, tw, tv } }) do
    if s[3] then parts[#parts + 1] = viewText(s[1], s[2], s[3], splitBalances(s[4])) end
  end
  return table.concat(parts, ';')
end

local function endsWith(text, suffix)
  return string.sub(text, -#suffix) == suffix
end

-- The scopes a reservation recorded, project first, then team when the team had a budget. Their
-- keys come in as pairs (balance, config) from KEYS[first] on; nil when they are not the keys of
-- the recorded scope and window (a caller that built them wrong must not touch other balances).
-- The suffixes mirror LedgerKeys.balance and LedgerKeys.budget (src/ledger/keys.ts).
local function recordedScopes(res, first)
  local scopes = {}
  local recorded = {
    { 'project', res.project, res.pw, ':bal:p:' .. res.project .. ':' .. (res.pw or ''), ':budget:p:' .. res.project },
    { 'team', res.team, res.tw, '}:bal:' .. (res.tw or ''), '}:budget' },
  }
  for _, r in ipairs(recorded) do
    if r[3] then
      local bal, cfgKey = KEYS[first + 2 * #scopes], KEYS[first + 2 * #scopes + 1]
      if not bal or not cfgKey or not endsWith(bal, r[4]) or not endsWith(cfgKey, r[5]) then return nil end
      local cfg = redis.call('HMGET', cfgKey, 'limit', 'alerts')
      scopes[#scopes + 1] = { kind = r[1], name = r[2], window = r[3], bal = bal, cfg = cfgKey,
        limit = num(cfg[1]), alerts = cfg[2] }
    end
  end
  return scopes
end

local function readHash(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end

-- What resolving added to the record besides status, time and charge: the operation's own
-- figures (commit) or reason (release). An expiry's lease deadline is already there.
local OUTCOME_FIELDS = { 'actual', 'overrun', 'refunded', 'reason' }

-- How a reservation resolved, rebuilt from its record and marked as a replay (a rejected one never
-- held anything). Alerts are not repeated: the call that crossed a threshold reported it.
local function replayOutcome(res)
  if not res.resolvedAt then
    return cjson.encode({ status = res.status, reservationId = res.id, replayed = true })
  end
  local out = { status = res.status, reservationId = res.id, reserved = res.amount, charged = res.charged,
    scopes = {}, alerts = {}, replayed = true }
  for _, name in ipairs(OUTCOME_FIELDS) do out[name] = res[name] end
  if res.status == 'expired' then out.leaseUntil = res.leaseUntil end
  if res.pa then out.scopes[#out.scopes + 1] = viewObject('project', res.project, res.pw, splitBalances(res.pa)) end
  if res.ta then out.scopes[#out.scopes + 1] = viewObject('team', res.team, res.tw, splitBalances(res.ta)) end
  return cjson.encode(out)
end

local function balanceFields(fields, scopes)
  for _, s in ipairs(scopes) do
    local spent, reserved = balance(s)
    fields[#fields + 1] = s.kind .. '.spent'
    fields[#fields + 1] = fmt(spent)
    fields[#fields + 1] = s.kind .. '.reserved'
    fields[#fields + 1] = fmt(reserved)
  end
  return fields
end

-- Resolves a pending reservation once: its amount leaves `reserved` in every scope and `charged`
-- enters `spent`. KEYS[1] is the reservation, KEYS[2] the lease set, KEYS[3] the audit stream.
local function resolve(res, scopes, charged, status, extra, now, auditMax, actor, retentionMs)
  local amount = num(res.amount)
  for _, s in ipairs(scopes) do
    adjust(s, 'reserved', -amount)
    if charged > 0 then adjust(s, 'spent', charged) end
  end
  redis.call('ZREM', KEYS[2], res.id)
  local alerts = {}
  if charged > amount then
    for _, s in ipairs(scopes) do fireAlerts(s, KEYS[3], auditMax, now, alerts) end
  end
  local views = {}
  for i, s in ipairs(scopes) do views[i] = scopeView(s) end
  local out = extra
  out.status = status
  out.reservationId = res.id
  out.reserved = fmt(amount)
  out.charged = fmt(charged)
  out.scopes = views
  out.alerts = alerts
  -- The record keeps the outcome as short fields, not as this JSON: it stays in Redis's compact
  -- hash encoding for the whole retention period, about a fifth of the memory.
  local fields = { 'status', status, 'resolvedAt', now, 'charged', fmt(charged) }
  for _, name in ipairs(OUTCOME_FIELDS) do
    if extra[name] then
      fields[#fields + 1] = name
      fields[#fields + 1] = extra[name]
    end
  end
  for _, s in ipairs(scopes) do
    fields[#fields + 1] = RECORD_TAG[s.kind] .. 'a'
    fields[#fields + 1] = balancesText(s)
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  local encoded = cjson.encode(out)
  redis.call('PEXPIRE', KEYS[1], retentionMs)
  audit(KEYS[3], auditMax, balanceFields({ 'op', status, 'at', now, 'id', res.id,
    'project', res.project, 'actor', actor, 'amount', fmt(amount), 'charged', fmt(charged),
    'actual', extra.actual or fmt(charged) }, scopes))
  return encoded
end
