-- Integer micro-units as text and back. Amounts are integer micro-units; Lua numbers are doubles,
-- exact below 2^53 (about 9e9 units of currency), and setBudget refuses limits above 1e9 so every
-- balance stays exact. The spend history's day sums (history.lua) are summed here too: they stay
-- exact up to 9e9 units per project, model, measure and day (a million jobs at 9,000 each); past
-- that a history figure would round (never a balance). Erroring instead would leave the
-- script's earlier writes half-done.

-- No exponent, for HINCRBY, XADD and JSON. '%d' formats the integer exactly (every amount is an
-- integer below 2^53) and costs half of tostring's '%.14g', which needed '%.0f' past 14 digits.
local function fmt(n)
  return string.format('%d', n)
end

-- A missing hash field (false) counts as zero.
local function num(v)
  if v == false or v == nil then return 0 end
  return tonumber(v) or 0
end
