-- wrk script: GET /api/v1/persons/{id}, rotating over the ids P-000001..P-<PERSONS> so that
-- every request reads a different person (a stride coprime with the count; each thread
-- starts at its own offset). The bearer token comes from wrk's -H, which wrk.format keeps.
local count = tonumber(os.getenv("PERSONS") or "46000")
local stride = 7919
local threads = 0

function setup(thread)
  thread:set("offset", threads * 9973)
  threads = threads + 1
end

local i = 0
function request()
  i = i + 1
  local n = ((offset or 0) + i * stride) % count + 1
  return wrk.format("GET", string.format("/api/v1/persons/P-%06d", n))
end
