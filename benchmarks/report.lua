-- wrk script: at the end, one line of exact numbers (latencies in microseconds),
-- because wrk's own report rounds a 1.004 s latency to "1.00s".
-- Used alone (-s report.lua) or loaded by post.lua.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "wrk-report requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
      "mean_us=%.1f stdev_us=%.1f min_us=%d max_us=%d p50_us=%d p75_us=%d p90_us=%d p99_us=%d\n",
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency.stdev, latency.min, latency.max,
      latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99)))
end
