--@include balance.lua

local function audit(auditKey, auditMax, fields)
  redis.call('XADD', auditKey, 'MAXLEN', '~', auditMax, '*', unpack(fields))
end

-- Appends each scope's balances after the operation, so the audit alone can replay them.
local function balanceFields(fields, scopes)
  for _, s in ipairs(scopes) do
    local spent, reserved = balance(s)
    fields[#fields + 1] = s.kind .. '.spent'
    fields[#fields + 1] = fmt(spent)
    fields[#fields + 1] = s.kind .. '.reserved'
    fields[#fields + 1] = fmt(reserved)
  end
  return fields
end
