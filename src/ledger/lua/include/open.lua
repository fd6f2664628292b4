--@include scopes.lua
--@include record.lua
--@include outcome.lua
--@include history.lua

-- Opens the reservation a script acts on: its record, the scopes it recorded and its spend
-- history's keys (KEYS[4..5], checked against `historyArgs`: stem, retention, top size); or the
-- reply to give at once: 'unknown' with no record, what `refuse(res)` answers when the record is
-- not one this operation acts on (a pending one for most, a finished one for reconcile),
-- 'stale-keys' when the keys passed are not those of the scopes, windows and day it recorded.
local function openReservation(key, id, firstScopeKey, stems, refuse, historyArgs)
  local res = readHash(key)
  if not res then return nil, nil, nil, cjson.encode({ status = 'unknown', reservationId = id }) end
  local refused = refuse(res)
  if refused then return nil, nil, nil, refused end
  local stale = cjson.encode({ status = 'stale-keys', reservationId = id })
  local scopes = recordedScopes(res, firstScopeKey, stems)
  if not scopes then return nil, nil, nil, stale end
  local history, staleHistory = recordedHistory(res, 4, unpack(historyArgs))
  if staleHistory then return nil, nil, nil, stale end
  return res, scopes, history, nil
end

-- For the operations that act on a pending reservation: a finished one answers its first outcome.
local function unlessPending(res)
  if res.status ~= 'reserved' then return replayOutcome(res) end
  return nil
end
