--@include headroom.lua
--@include balance.lua
-- A scope's balances for results: as a JSON object, or as reserve's flat text.

local function viewObject(kind, name, window, limit, spent, reserved)
  return { scope = kind, name = name, window = window, limit = fmt(limit), spent = fmt(spent),
    reserved = fmt(reserved), available = fmt(available(limit, spent, reserved)) }
end

local function scopeView(scope)
  local spent, reserved = balance(scope)
  return viewObject(scope.kind, scope.name, scope.window, scope.limit, spent, reserved)
end

local function scopeViews(scopes)
  local views = {}
  for i, s in ipairs(scopes) do views[i] = scopeView(s) end
  return views
end

-- "limit|spent|reserved", as a reservation records a scope (see record.lua).
local function splitBalances(text)
  local limit, spent, reserved = string.match(text, '^([^|]*)|([^|]*)|([^|]*)$')
  return num(limit), num(spent), num(reserved)
end

-- One scope's view as reserve replies it, without JSON: "kind|name|window|limit|spent|reserved|available"
-- (amounts as texts already, the available amount a number).
local function viewLine(kind, name, window, limitText, spentText, reservedText, avail)
  return kind .. '|' .. name .. '|' .. window .. '|' .. limitText .. '|' .. spentText .. '|' .. reservedText .. '|' .. fmt(avail)
end

local function viewText(kind, name, window, limit, spent, reserved)
  return viewLine(kind, name, window, fmt(limit), fmt(spent), fmt(reserved), available(limit, spent, reserved))
end

-- The scopes' views as reserve first answers them: their balances' texts as read (no formatting again).
local function encodeViews(scopes)
  local parts = {}
  for i, s in ipairs(scopes) do
    local spent, reserved = balance(s)
    local limitText, spentText, reservedText = balanceTexts(s)
    parts[i] = viewLine(s.kind, s.name, s.window, limitText, spentText, reservedText, available(s.limit, spent, reserved))
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
