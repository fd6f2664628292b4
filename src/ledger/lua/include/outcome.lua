--@include views.lua
-- What resolving added to the record besides status, time and charge: the operation's own
-- figures (commit) or reason (release). An expiry's lease deadline is already there.
local OUTCOME_FIELDS = { 'actual', 'overrun', 'refunded', 'reason' }

-- How a reservation resolved, rebuilt from its record and marked as a replay (a rejected one never
-- held anything). Alerts are not repeated: the call that crossed a threshold reported it.
local function replayOutcome(res)
  if not res.resolvedAt then
    return cjson.encode({ status = res.status, reservationId = res.id, replayed = true })
  end
  local out = { status = res.status, reservationId = res.id, reserved = res.amount, charged = res.charged,
    scopes = {}, alerts = {}, replayed = true }
  for _, name in ipairs(OUTCOME_FIELDS) do out[name] = res[name] end
  if res.status == 'expired' then out.leaseUntil = res.leaseUntil end
  if res.pa then out.scopes[#out.scopes + 1] = viewObject('project', res.project, res.pw, splitBalances(res.pa)) end
  if res.ta then out.scopes[#out.scopes + 1] = viewObject('team', res.team, res.tw, splitBalances(res.ta)) end
  return cjson.encode(out)
end
