-- wrk reporter for `make bench` (bench/wrk.py parses the BENCH line).
-- Counts every answer outside 200-299 (wrk's own error count starts at 400 and would miss a redirect to the
-- sign-in page), and prints the latency percentiles in microseconds.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, bad,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
