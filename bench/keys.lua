-- wrk script: single-row feedback events spread over KEYS distinct deployments (inferenceservicename).
local counter = 0
local keys = tonumber(os.getenv("KEYS") or "10000")
local body = '{"response": {"data": {"ndarray": [[0.1,0.2,0.7]]}}, "truth": {"data": {"ndarray": [[0,0,1]]}}}'
local run_id = tostring(os.time()) .. tostring(math.random(1000000))
local offset = 0

function setup(thread) thread:set("offset", math.random(1000000)) end

function request()
  counter = counter + 1
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/json", ["ce-specversion"] = "1.0", ["ce-type"] = "io.seldon.serving.feedback",
    ["ce-source"] = "wrk-keys", ["ce-id"] = run_id .. "-" .. offset .. "-" .. counter,
    ["ce-inferenceservicename"] = "model-" .. ((counter + offset) % keys),
  }, body)
end
