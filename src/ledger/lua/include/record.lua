--@include balance.lua
-- A scope as the reservation hash records it: its window ("pw"/"tw") and its balances when the
-- reservation was decided ("pv"/"tv" = "limit|spent|reserved"). Each value stays short, so Redis
-- keeps the hash in its compact encoding (hash-max-listpack-value, 64 bytes by default): full key
-- names would not fit, and a reservation is the one record written for every job.
local RECORD_TAG = { project = 'p', team = 't' }

local function balancesText(scope)
  local limit, spent, reserved = balanceTexts(scope)
  return limit .. '|' .. spent .. '|' .. reserved
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

local function readHash(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end
