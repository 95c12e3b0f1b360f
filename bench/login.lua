-- wrk script: a log-in flood. Each connection logs in as its own account
-- (flood<n>@bench.example.org, password "bench-password", made by
-- bench/setup.py) over and over. Answers are counted by status (count.lua).
dofile((os.getenv("BENCH_DIR") or "bench") .. "/count.lua")

local n = 0

function init(args)
  n = id
end

function request()
  n = (n + 2) % 32
  local body = string.format('{"email":"flood%d@bench.example.org","password":"bench-password"}', n)
  return wrk.format("POST", "/api/auth/login", {["Content-Type"] = "application/json"}, body)
end
