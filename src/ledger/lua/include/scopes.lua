--@include fmt.lua

-- The scopes a reservation recorded, project first, then team when the team had a budget. Their
-- keys come as pairs (balance, config) from KEYS[first] on, and for each pair ARGV holds, from
-- stems[1] on, the balance key without its window and the config key as the caller's key layout
-- builds them. nil unless every balance key is its stem plus the window the reservation recorded
-- and every config key is the one named: a caller that built keys wrong (another window, a
-- pair too few) must not touch other balances.
local function recordedScopes(res, first, stems)
  local scopes = {}
  local recorded = { { 'project', res.project, res.pw }, { 'team', res.team, res.tw } }
  for _, r in ipairs(recorded) do
    if r[3] then
      local at = 2 * #scopes
      local bal, cfgKey = KEYS[first + at], KEYS[first + at + 1]
      local stem, cfgName = stems[at + 1], stems[at + 2]
      if not bal or not stem or bal ~= stem .. r[3] or cfgKey ~= cfgName then return nil end
      local cfg = redis.call('HMGET', cfgKey, 'limit', 'alerts')
      scopes[#scopes + 1] = { kind = r[1], name = r[2], window = r[3], bal = bal, cfg = cfgKey,
        limit = num(cfg[1]), limitText = cfg[1] or nil, alerts = cfg[2] }
    end
  end
  if KEYS[first + 2 * #scopes] then return nil end
  return scopes
end
