-- wrk script: each request changes the vote of a signed-in account in one
-- category (PUT /api/awards/categories/{id}/vote). Thread t uses accounts
-- t * PER .. t * PER + PER - 1 (session tokens 'vote<k>', see
-- awards_setup.py) one after the other; each pass over them votes for the
-- other of the round's two cases (A on even passes, B on odd ones). Every
-- account already votes for a third case, so every request is a change.
-- Answers are counted by status (count.lua, found through $BENCH_DIR).
-- Arguments: CATEGORY_ID CASE_A CASE_B ACCOUNTS_PER_THREAD [FIRST_ACCOUNT]
dofile((os.getenv("BENCH_DIR") or "bench") .. "/count.lua")

local counter = 0

function init(args)
  category = args[1]
  case_a, case_b = args[2], args[3]
  per = tonumber(args[4])
  base = tonumber(args[5] or "0") + id * per
  path = "/api/awards/categories/" .. category .. "/vote"
end

function request()
  local k = base + counter % per
  local pass = math.floor(counter / per)
  counter = counter + 1
  local token = "vote" .. k
  token = token .. string.rep("x", 43 - #token)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "convene_session=" .. token,
    ["X-CSRF-Token"] = "benchcsrf",
    ["User-Agent"] = "wrk",
  }
  local case = (pass % 2 == 0) and case_a or case_b
  return wrk.format("PUT", path, headers, '{"submission_id":' .. case .. '}')
end
