--@include headroom.lua
--@include balance.lua
--@include audit.lua

local function splitCsv(s)
  local out = {}
  if s == nil or s == false or s == '' then return out end
  for part in string.gmatch(s, '[^,]+') do out[#out + 1] = tonumber(part) end
  return out
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
  if #fired == 0 then return '' end
  local parts = {}
  for i, a in ipairs(fired) do
    parts[i] = a.scope .. '|' .. a.name .. '|' .. a.window .. '|' .. a.threshold .. '|' .. a.limit .. '|' .. a.spent .. '|' .. a.reserved
  end
  return table.concat(parts, ';')
end
