"""Brings a server to its steady state before a benchmark: posts EVENTS distinct single-row feedback events in
CloudEvents batch mode (1 000 per request), so its remembered ids reach --dedupe_max_ids and forgetting is active.
Usage: python3 bench/prefill.py URL EVENTS [KEYS=1]   (KEYS distinct models, events spread evenly over them)"""
import http.client
import json
import sys
import time
import urllib.parse

url, total = urllib.parse.urlparse(sys.argv[1]), int(sys.argv[2])
keys = int(sys.argv[3]) if len(sys.argv) > 3 else 1
data = {"response": {"data": {"ndarray": [[0.0007, 0.0037, 0.9956]]}}, "truth": {"data": {"ndarray": [[0, 0, 1]]}}}
run = str(time.time_ns())
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
started, sent = time.time(), 0
while sent < total:
    n = min(1000, total - sent)
    batch = [{"specversion": "1.0", "type": "io.seldon.serving.feedback", "source": "prefill", "id": f"{run}-{sent + i}",
              "inferenceservicename": "bench" if keys == 1 else f"bench-{(sent + i) % keys}", "datacontenttype": "application/json", "data": data} for i in range(n)]
    connection.request("POST", "/", body=json.dumps(batch), headers={"Content-Type": "application/cloudevents-batch+json"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"prefill: HTTP {response.status} after {sent} events")
    sent += n
print(f"prefill: {sent} events in {time.time() - started:.0f} s")
