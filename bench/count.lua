-- wrk script: counts answers by status class so that only 2xx count as
-- throughput. Loaded alone (`wrk -s count.lua`, requests from the command
-- line and -H) or from another script with dofile (see enrol.lua). Prints,
-- after the run, one "name value" per line:
--   ok2xx N      answers with a 2xx status
--   non2xx N     answers with any other status
--   s5xx N       of which 5xx
--   sockerr N    connect, read, write errors and timeouts
--   rps2xx X     2xx answers per second
--   p99ms X      99th percentile latency (all answers), milliseconds
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

ok2xx = 0
non2xx = 0
s5xx = 0

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
  else
    non2xx = non2xx + 1
    if status >= 500 then
      s5xx = s5xx + 1
    end
  end
end

function done(summary, latency, requests)
  local ok, bad, s5 = 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("ok2xx")
    bad = bad + t:get("non2xx")
    s5 = s5 + t:get("s5xx")
  end
  local e = summary.errors
  local sockerr = e.connect + e.read + e.write + e.timeout
  io.write(string.format("ok2xx %d\nnon2xx %d\ns5xx %d\nsockerr %d\n", ok, bad, s5, sockerr))
  io.write(string.format("rps2xx %.1f\n", ok / (summary.duration / 1e6)))
  io.write(string.format("p99ms %.3f\n", latency:percentile(99) / 1000))
end
