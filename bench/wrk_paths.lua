-- wrk_paths.lua: each request takes the next path from the file named by the environment variable WRK_PATHS
-- (one "/api/notifications?..." a line); non-2xx answers are counted and reported as errors.
local paths = {}
local i = 0
local bad = 0

function init(args)
	for line in io.lines(os.getenv("WRK_PATHS")) do
		paths[#paths + 1] = line
	end
end

function request()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end

function response(status, headers, body)
	if status < 200 or status > 299 then
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	io.write(string.format("wrk: requests=%d non2xx=%d socket_errors=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
		summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
		summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
