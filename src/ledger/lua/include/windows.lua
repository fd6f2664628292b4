-- The UTC calendar windows holding an instant, formatted exactly as windowsAt in
-- src/ledger/windows.ts: the script checks the caller's balance keys against its own clock.
-- Redis's Lua has no os.date, hence the civil-date arithmetic (H. Hinnant's algorithms).

local function civilFromDays(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local function daysFromCivil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- ISO-8601 weeks start on Monday; week 1 holds the year's first Thursday (1970-01-01 was one).
local function isoWeek(days)
  local weekday = (days + 3) % 7 + 1
  local thursday = days + 4 - weekday
  local y = civilFromDays(thursday)
  return string.format('%d-W%02d', y, math.floor((thursday - daysFromCivil(y, 1, 1)) / 7) + 1)
end

-- The window of one period (none, daily, weekly, monthly) holding an instant: a script computes
-- only those of the budgets it reads.
local function windowOf(period, nowMs)
  if period == 'none' then return 'all' end
  local days = math.floor(nowMs / 86400000)
  if period == 'weekly' then return isoWeek(days) end
  local y, m, d = civilFromDays(days)
  if period == 'daily' then return string.format('%d-%02d-%02d', y, m, d) end
  return string.format('%d-%02d', y, m)
end

-- Periods in the order scripts take their balance keys and window ids.
local PERIODS = { none = 1, daily = 2, weekly = 3, monthly = 4 }
local PERIOD_NAMES = { 'none', 'daily', 'weekly', 'monthly' }
