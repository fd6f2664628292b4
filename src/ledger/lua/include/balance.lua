--@include fmt.lua
-- spent and reserved of one scope in one window, read once per script and kept on the scope
-- table, as numbers and as the text Redis holds; `adjust` keeps that copy in step with what the
-- script writes. The texts spare formatting a number back into what was read (docs/ledger.md, "Cost").

local function balance(scope)
  if scope.spent == nil then
    local b = redis.call('HMGET', scope.bal, 'spent', 'reserved')
    scope.spent, scope.reserved = num(b[1]), num(b[2])
    scope.spentText, scope.reservedText = b[1] or '0', b[2] or '0'
  end
  return scope.spent, scope.reserved
end

-- `deltaText`, when given, is delta as text already.
local function adjust(scope, field, delta, deltaText)
  balance(scope)
  scope[field] = redis.call('HINCRBY', scope.bal, field, deltaText or fmt(delta))
  if field == 'spent' then scope.spentText = nil else scope.reservedText = nil end
end

-- The scope's limit, spent and reserved as text, each formatted at most once.
local function balanceTexts(scope)
  balance(scope)
  if not scope.limitText then scope.limitText = fmt(scope.limit) end
  if not scope.spentText then scope.spentText = fmt(scope.spent) end
  if not scope.reservedText then scope.reservedText = fmt(scope.reserved) end
  return scope.limitText, scope.spentText, scope.reservedText
end
