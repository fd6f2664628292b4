-- The one clock: Redis's own, so that workers whose clocks differ agree on leases and windows.
-- A caller may still pass an explicit time (the test hook that moves across windows and leases).
local function clockNow(given)
  if given ~= nil and given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
