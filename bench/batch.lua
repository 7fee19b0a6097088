-- wrk script: each request one feedback event carrying ROWS rows of 3-class one-hot / probability vectors.
local counter = 0
local rows = tonumber(os.getenv("ROWS") or "1000")
local truth, response = {}, {}
for i = 1, rows do
  local t = i % 3
  truth[i] = t == 0 and "[1,0,0]" or (t == 1 and "[0,1,0]" or "[0,0,1]")
  response[i] = (i % 4 == 0) and "[0.2,0.5,0.3]" or (t == 0 and "[0.8,0.1,0.1]" or (t == 1 and "[0.1,0.8,0.1]" or "[0.1,0.1,0.8]"))
end
local body = '{"response": {"data": {"ndarray": [' .. table.concat(response, ",") .. ']}}, "truth": {"data": {"ndarray": [' .. table.concat(truth, ",") .. ']}}}'
-- RUN_ID names this wrk process's events (wrk's math.random is not seeded: two processes would send the same ids).
local run_id = os.getenv("RUN_ID") or tostring(os.time())

function request()
  counter = counter + 1
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/json", ["ce-specversion"] = "1.0", ["ce-type"] = "io.seldon.serving.feedback",
    ["ce-source"] = "wrk-batch", ["ce-id"] = run_id .. "-" .. counter,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f rows_per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests / (summary.duration / 1e6), rows * summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
