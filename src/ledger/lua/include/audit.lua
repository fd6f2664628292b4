--@include balance.lua

local function audit(auditKey, auditMax, fields)
  redis.call('XADD', auditKey, 'MAXLEN', '~', auditMax, '*', unpack(fields))
end

-- Appends each scope's balances after the operation, so the audit alone can replay them.
local function balanceFields(fields, scopes)
  for _, s in ipairs(scopes) do
    local _, spent, reserved = balanceTexts(s)
    local n = #fields
    fields[n + 1] = s.kind == 'project' and 'project.spent' or 'team.spent'
    fields[n + 2] = spent
    fields[n + 3] = s.kind == 'project' and 'project.reserved' or 'team.reserved'
    fields[n + 4] = reserved
  end
  return fields
end
