-- wrk script: one single-row Seldon feedback event per request, in CloudEvents binary mode,
-- each with its own ce-id (per thread and counter) so the server counts every one.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tid
end

-- Paced mode: DELAY_MS > 0 makes each connection wait that long between requests (rate ~ connections / delay).
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
if delay_ms > 0 then
  function delay() return delay_ms end
end

-- REGIONS=N gives the events a region extension, N values in turn (for --segment_by region).
local regions = tonumber(os.getenv("REGIONS") or "0")

-- DEPLOYMENTS=N spreads the events over N deployments (ce-inferenceservicename bench-0 … bench-(N-1), in turn);
-- unset, every event is for the one deployment "bench".
local deployments = tonumber(os.getenv("DEPLOYMENTS") or "0")

local body = '{"response": {"data": {"ndarray": [[0.0007,0.0037,0.9956]]}}, "truth": {"data": {"ndarray": [[0,0,1]]}}}'

function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["ce-specversion"] = "1.0",
    ["ce-type"] = "io.seldon.serving.feedback",
    ["ce-source"] = "wrk",
    ["ce-id"] = run_id .. "-" .. thread_id .. "-" .. counter,
    ["ce-inferenceservicename"] = "bench",
  }
  if deployments > 0 then
    headers["ce-inferenceservicename"] = "bench-" .. (counter % deployments)
  end
  if regions > 0 then
    headers["ce-region"] = "region-" .. (counter % regions)
  end
  return wrk.format("POST", "/", headers, body)
end

-- RUN_ID names this wrk process's events: wrk processes started in the same second would otherwise send the same
-- ids (wrk's math.random is not seeded), and every process but the first would send duplicates.
run_id = os.getenv("RUN_ID") or (tostring(os.time()) .. tostring(math.random(1000000)))

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, summary.requests))
end
