--@include fmt.lua
-- The two budget rules, as src/ledger/headroom.ts states them for TypeScript.

-- What a scope can still take: never below zero, even when an overrun pushed it past its limit.
local function available(limit, spent, reserved)
  local room = limit - spent - reserved
  if room < 0 then return 0 end
  return room
end

-- floor(limit * ppm / 1e6) without ever forming limit * ppm (which could pass 2^53).
local function threshold(limit, ppm)
  local q = math.floor(limit / 1000000)
  local r = limit - q * 1000000
  return q * ppm + math.floor(r * ppm / 1000000)
end

-- Whether `cost` more fits under the share `ppm` (parts per million) of the limit.
local function fits(limit, spent, reserved, cost, ppm)
  local cap = limit
  if ppm < 1000000 then cap = threshold(limit, ppm) end
  return spent + reserved + cost <= cap
end
