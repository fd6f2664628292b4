-- Integer micro-units as text and back. Amounts are integer micro-units; Lua numbers are doubles,
-- exact below 2^53 (about 9e9 units of currency), and setBudget refuses limits above 1e9 so every
-- sum stays exact.

-- No exponent, for HINCRBY, XADD and JSON. tostring is exact up to 14 digits and much cheaper
-- than string.format, which takes the rest.
local function fmt(n)
  if n < 1e14 and n > -1e14 then return tostring(n) end
  return string.format('%.0f', n)
end

-- A missing hash field (false) counts as zero.
local function num(v)
  if v == false or v == nil then return 0 end
  return tonumber(v) or 0
end
