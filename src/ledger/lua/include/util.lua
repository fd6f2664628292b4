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
local function scopeView(scope)
  local spent, reserved = balance(scope)
  local available = scope.limit - spent - reserved
  if available < 0 then available = 0 end
  return { scope = scope.kind, name = scope.name, window = scope.window, limit = fmt(scope.limit),
    spent = fmt(spent), reserved = fmt(reserved), available = fmt(available) }
end

-- Scopes as the reservation hash records them, without JSON (this is the hot path):
-- "kind|name|window|balanceKey|configKey;…". Names and keys never hold "|" or ";".
local function encodeScopes(scopes)
  local parts = {}
  for i, s in ipairs(scopes) do parts[i] = s.kind .. '|' .. s.name .. '|' .. s.window .. '|' .. s.bal .. '|' .. s.cfg end
  return table.concat(parts, ';')
end

local function decodeScopes(text)
  local out = {}
  for part in string.gmatch(text or '', '[^;]+') do
    local kind, name, window, bal, cfg = string.match(part, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    out[#out + 1] = { kind = kind, name = name, window = window, bal = bal, cfg = cfg }
  end
  return out
end

-- Scope balances for a reply: "kind|name|window|limit|spent|reserved|available;…" (micro-units).
local function encodeViews(scopes)
  local parts = {}
  for i, s in ipairs(scopes) do
    local spent, reserved = balance(s)
    local available = s.limit - spent - reserved
    if available < 0 then available = 0 end
    parts[i] = s.kind .. '|' .. s.name .. '|' .. s.window .. '|' .. fmt(s.limit) .. '|' .. fmt(spent) .. '|' ..
      fmt(reserved) .. '|' .. fmt(available)
  end
  return table.concat(parts, ';')
end

-- The scopes a reservation recorded, project first, then team when the team had a budget. Their
-- keys come in as pairs (balance, config) from KEYS[first] on, and must be the recorded ones.
local function recordedScopes(res, first)
  local scopes = {}
  for i, s in ipairs(decodeScopes(res.scopes)) do
    local bal, cfgKey = KEYS[first + 2 * (i - 1)], KEYS[first + 2 * (i - 1) + 1]
    if bal ~= s.bal or cfgKey ~= s.cfg then
      return nil
    end
    local cfg = redis.call('HMGET', cfgKey, 'limit', 'alerts')
    scopes[i] = { kind = s.kind, name = s.name, window = s.window, bal = bal, cfg = cfgKey,
      limit = num(cfg[1]), alerts = cfg[2] }
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

-- How a reservation resolved, marked as a replay (a rejected one never held anything).
local function replayOutcome(res)
  if not res.outcome then
    return cjson.encode({ status = res.status, reservationId = res.id, replayed = true })
  end
  local out = cjson.decode(res.outcome)
  out.replayed = true
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
  local encoded = cjson.encode(out)
  redis.call('HSET', KEYS[1], 'status', status, 'outcome', encoded, 'resolvedAt', now)
  redis.call('PEXPIRE', KEYS[1], retentionMs)
  audit(KEYS[3], auditMax, balanceFields({ 'op', status, 'at', now, 'id', res.id,
    'project', res.project, 'actor', actor, 'amount', fmt(amount), 'charged', fmt(charged),
    'actual', extra.actual or fmt(charged) }, scopes))
  return encoded
end
