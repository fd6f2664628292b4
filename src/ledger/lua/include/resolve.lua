--@include balance.lua
--@include audit.lua
--@include alerts.lua
--@include views.lua
--@include record.lua
--@include outcome.lua

-- The record keeps the outcome as short fields, not as the reply's JSON: it stays in Redis's
-- compact hash encoding for the whole retention period, about a fifth of the memory.
local function outcomeFields(status, now, charged, extra, scopes)
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
  return fields
end

-- Resolves a pending reservation once: its amount leaves `reserved` in every scope and `charged`
-- enters `spent`. `at` names the reservation hash, lease set and audit stream.
local function resolve(at, res, scopes, charged, status, extra, now, auditMax, actor, retentionMs)
  local amount = num(res.amount)
  for _, s in ipairs(scopes) do
    adjust(s, 'reserved', -amount)
    if charged > 0 then adjust(s, 'spent', charged) end
  end
  redis.call('ZREM', at.leases, res.id)
  local alerts = {}
  if charged > amount then
    for _, s in ipairs(scopes) do fireAlerts(s, at.audit, auditMax, now, alerts) end
  end
  local out = extra
  out.status = status
  out.reservationId = res.id
  out.reserved = fmt(amount)
  out.charged = fmt(charged)
  out.scopes = scopeViews(scopes)
  out.alerts = alerts
  redis.call('HSET', at.reservation, unpack(outcomeFields(status, now, charged, extra, scopes)))
  local encoded = cjson.encode(out)
  redis.call('PEXPIRE', at.reservation, retentionMs)
  audit(at.audit, auditMax, balanceFields({ 'op', status, 'at', now, 'id', res.id,
    'project', res.project, 'actor', actor, 'amount', fmt(amount), 'charged', fmt(charged),
    'actual', extra.actual or fmt(charged) }, scopes))
  return encoded
end
