-- Argo CD health of a CloudProfile, read from its kstatus conditions: Healthy once the operator has checked the
-- credentials and reached the endpoint for the current spec, Degraded on a terminal error (Stalled: a missing or
-- invalid Secret, rejected credentials), Progressing while the check runs or retries.
local hs = {}

local function condition(conditions, wanted)
  for _, c in ipairs(conditions) do
    if c.type == wanted then return c end
  end
  return nil
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then return c.reason .. ": " .. c.message end
  return c.reason
end

local status = obj.status
if obj.metadata.deletionTimestamp ~= nil then
  -- Argo CD itself reports a resource being deleted as Progressing; the script says the same, with the step.
  hs.status = "Progressing"
  local reconciling = nil
  if status ~= nil and status.conditions ~= nil then reconciling = condition(status.conditions, "Reconciling") end
  if reconciling ~= nil and reconciling.status == "True" and reconciling.message ~= "" then
    hs.message = "Deleting: " .. reconciling.message
  else
    hs.message = "Deleting: waiting for the operator to finish its cleanup"
  end
  return hs
end
if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to check the cloud"
  return hs
end

local ready = condition(status.conditions, "Ready")
local observed = status.observedGeneration
if observed == nil and ready ~= nil then observed = ready.observedGeneration end
if observed ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
  return hs
end

local stalled = condition(status.conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end

hs.status = "Progressing"
local reconciling = condition(status.conditions, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = describe(reconciling)
elseif ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the operator to check the cloud"
end
return hs
