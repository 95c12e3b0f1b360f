-- wrk script: each request enrols a different account (its own session
-- cookie) in one activity. Accounts are split between wrk threads and
-- connections so that no account enrols twice.
local counter = 0
local base = 0
local per_thread = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  per_thread = tonumber(args[2])
  base = id * per_thread
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

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout
  io.write(string.format("non2xx_or_errors %d\n", errors))
end
