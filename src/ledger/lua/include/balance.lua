--@include fmt.lua
-- spent and reserved of one scope in one window, read once per script and kept on the scope
-- table; `adjust` keeps that copy in step with what the script writes.

local function balance(scope)
  if scope.spent == nil then
    local b = redis.call('HMGET', scope.bal, 'spent', 'reserved')
    scope.spent, scope.reserved = num(b[1]), num(b[2])
  end
  return scope.spent, scope.reserved
end

local function adjust(scope, field, delta)
  balance(scope)
  redis.call('HINCRBY', scope.bal, field, fmt(delta))
  scope[field] = scope[field] + delta
end
