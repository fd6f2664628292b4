-- reconcile: brings what the ledger charged for a finished reservation (committed, released or
-- expired) to what the provider billed for its job, as the provider's own records say. The
-- difference goes into `spent` of every scope the reservation recorded, in the windows it
-- recorded (a late bill belongs to the window its job ran in); it may be negative (a refund).
-- Idempotent: the record keeps what reconciliation added ('rc'), so the same bill twice changes
-- nothing. A reservation still pending is the generator's (or commit's) to settle: not touched.
--
-- KEYS[1] reservation hash   KEYS[2] lease set (unused; the common layout)   KEYS[3] audit stream
-- KEYS[4] the history hash of the reservation's day   KEYS[5] its month's dearest jobs (history.lua)
-- KEYS[6..] pairs (balance, config) of each scope the reservation recorded
-- ARGV[1] reservation id   ARGV[2] now (ms; empty: Redis's TIME)   ARGV[3] audit stream max length
-- ARGV[4] actor   ARGV[5] what the provider billed in all (micro-units)
-- ARGV[6] the history key without its day, ARGV[7] the history's retention (ms),
-- ARGV[8] how many dearest jobs a month keeps   ARGV[9..] per scope pair: its balance key without the window, its config key (see scopes.lua)
-- Returns JSON: { status, reservationId, adjusted = true|false, delta, charged, scopes }
--            or { status = 'reserved' } (pending), { status = 'unknown' } / { status = 'stale-keys' }
--@include clock.lua
--@include open.lua
--@include audit.lua
--@include views.lua
--@include record.lua

local reservationKey, auditKey = KEYS[1], KEYS[3]
local firstScopeKey = 6
local id, nowArg, auditMax, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local billed = tonumber(ARGV[5])
local historyArgs = { ARGV[6], ARGV[7], ARGV[8] }
local scopeKeyStems = { unpack(ARGV, 9) }

local function unlessFinished(res)
  if res.status == 'reserved' or res.status == 'rejected' then
    return cjson.encode({ status = res.status, reservationId = id, adjusted = false })
  end
  return nil
end
local res, scopes, history, early = openReservation(reservationKey, id, firstScopeKey, scopeKeyStems, unlessFinished, historyArgs)
if early then return early end

-- A commit's overrun (billed beyond the budget's headroom) was reported then, and is not charged now.
local before = num(res.charged) + num(res.overrun) + num(res.rc)
local delta = billed - before
if delta ~= 0 then
  for _, s in ipairs(scopes) do adjust(s, 'spent', delta) end
  redis.call('HSET', reservationKey, 'rc', fmt(num(res.rc) + delta))
  if history then
    -- A late bill changes spent by delta, in the day the job was reserved; the job's place among
    -- its month's dearest follows what the provider billed in all.
    histAdd(history, history.project, history.model, 'rec', delta)
    if res.status == 'committed' then histTop(history, res, billed, true) end
    histKeep(history)
  end
  audit(auditKey, auditMax, balanceFields({ 'op', 'reconcile', 'at', fmt(clockNow(nowArg)), 'id', id,
    'project', res.project, 'actor', actor, 'amount', fmt(delta), 'charged', fmt(billed) }, scopes))
end
return cjson.encode({ status = res.status, reservationId = id, adjusted = delta ~= 0, delta = fmt(delta),
  charged = fmt(billed), scopes = scopeViews(scopes) })
