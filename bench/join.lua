-- wrk script for the late-truth join: KIND=response sends Seldon executor response events (one row, three
-- probabilities, each with its own requestid); KIND=truth sends truth-only feedback for the same request ids, in the
-- same order, so a truth run after a response run joins as many as the response run stored. RUN_ID ties the two.
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

local kind = os.getenv("KIND") or "response"
local run_id = os.getenv("RUN_ID") or tostring(os.time())
local response = '{"data": {"names": ["t:0", "t:1", "t:2"], "ndarray": [[0.0007, 0.0037, 0.9956]]}, "meta": {}}'
local truth = '{"truth": {"data": {"ndarray": [[0, 0, 1]]}}}'

-- Request ids as real senders make them: random (a KServe X-Request-Id is a UUID v4, Seldon's a random puid), so
-- each lands at a random place among the ids held. Seeded by RUN_ID and the thread, so a truth run makes the same ids.
local function seed_of(text)
  local h = 5381
  for i = 1, #text do
    h = (h * 33 + text:byte(i)) % 2147483647
  end
  return h
end

local seeded = false

function request()
  if not seeded then
    math.randomseed(seed_of(run_id .. "/" .. thread_id))
    seeded = true
  end
  counter = counter + 1
  local request_id = string.format("%08x-%04x-%s-%d-%d", math.random(0, 0x7fffffff), math.random(0, 0xffff), run_id, thread_id, counter)
  local headers = {
    ["Content-Type"] = "application/json",
    ["ce-specversion"] = "1.0",
    ["ce-source"] = "http://:8000/",
    ["ce-inferenceservicename"] = "bench",
    ["ce-namespace"] = "bench",
    ["ce-requestid"] = request_id,
  }
  if kind == "truth" then
    headers["ce-type"] = "io.seldon.serving.feedback"
    headers["ce-id"] = "truth-" .. request_id
    return wrk.format("POST", "/", headers, truth)
  end
  headers["ce-type"] = "io.seldon.serving.inference.response"
  headers["ce-id"] = request_id
  return wrk.format("POST", "/", headers, response)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, summary.requests))
end
