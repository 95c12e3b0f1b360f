-- wrk script: each request enrols a different account (its own session
-- cookie) in one activity. Accounts are split between wrk threads so that
-- no account enrols twice. Answers are counted by status (count.lua, found
-- through $BENCH_DIR).
-- Arguments: ACTIVITY_ID ACCOUNTS_PER_THREAD
dofile((os.getenv("BENCH_DIR") or "bench") .. "/count.lua")

local counter = 0
local base = 0

function init(args)
  base = id * tonumber(args[2])
  activity = args[1]
end

function request()
  local k = base + counter
  counter = counter + 1
  local token = "bench" .. k
  token = token .. string.rep("x", 43 - #token)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "convene_session=" .. token,
    ["X-CSRF-Token"] = "benchcsrf",
  }
  return wrk.format("POST", "/api/activities/" .. activity .. "/enrollments", headers,
                    '{"answers":{}}')
end
