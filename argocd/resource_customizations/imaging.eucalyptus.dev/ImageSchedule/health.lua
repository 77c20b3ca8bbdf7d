-- Argo CD health of an ImageSchedule, read from its kstatus conditions: Healthy while the last run succeeded (or
-- none has finished yet), Degraded on an invalid schedule or template (Stalled) or when the last run failed,
-- Suspended while spec.suspend is true, Progressing while the operator has not looked at the current spec.
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
  hs.status = "Progressing"
  hs.message = "Deleting"
  return hs
end
if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
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

if ready ~= nil and ready.status == "False" and (ready.reason == "LastRunFailed" or ready.reason == "NoInstancesMatched") then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended: no new runs"
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  if status.nextScheduleTime ~= nil then
    hs.message = hs.message .. " (next run at " .. status.nextScheduleTime .. ")"
  end
  return hs
end

hs.status = "Progressing"
if ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the first run"
end
return hs
