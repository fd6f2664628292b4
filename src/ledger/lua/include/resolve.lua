--@include balance.lua
--@include audit.lua
--@include alerts.lua
--@include views.lua
--@include record.lua
--@include outcome.lua
--@include history.lua

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

-- What resolving adds to the history (history.lua): a commit's charge, split into what its
-- reservation covered and what went beyond it (`ovr`), the rest of the reservation released,
-- the estimate (`est`) and what a full budget left uncharged (`unc`): what the provider billed
-- is com + unc, so it needs no field of its own; a release's or expiry's whole amount released. So for any window,
-- spent = com + rec and reserved = rsv - rel - com + ovr, summed over its days.
local function historyOfResolve(h, res, status, amount, charged, actual)
  local p, m = h.project, h.model
  if status == 'committed' then
    histAdd(h, p, m, 'com', charged)
    histAdd(h, p, m, 'ovr', math.max(charged - amount, 0))
    histAdd(h, p, m, 'rel', math.max(amount - charged, 0))
    histAdd(h, p, m, 'est', h.estimate and num(h.estimate) or amount)
    histAdd(h, p, m, 'unc', actual - charged)
    histAdd(h, p, m, 'n.com', 1)
    histTop(h, res, actual, false)
  else
    histAdd(h, p, m, 'rel', amount)
    histAdd(h, p, m, status == 'expired' and 'n.exp' or 'n.rel', 1)
  end
  histKeep(h)
end

-- Resolves a pending reservation once: its amount leaves `reserved` in every scope and `charged`
-- enters `spent`. `at` names the reservation hash, lease set and audit stream, and the history
-- to write (none for a record older than the history).
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
  if at.history then historyOfResolve(at.history, res, status, amount, charged, num(extra.actual)) end
  local encoded = cjson.encode(out)
  redis.call('PEXPIRE', at.reservation, retentionMs)
  audit(at.audit, auditMax, balanceFields({ 'op', status, 'at', now, 'id', res.id,
    'project', res.project, 'actor', actor, 'amount', fmt(amount), 'charged', fmt(charged),
    'actual', extra.actual or fmt(charged) }, scopes))
  return encoded
end
