"""Brings a server to its steady state before a benchmark: posts EVENTS distinct single-row feedback events in
CloudEvents batch mode (1 000 per request), so its remembered ids reach --dedupe_max_ids and forgetting is active;
with KIND=response, Seldon response events with distinct random request ids instead (UUIDs, as real senders make them), so the join's
pending responses reach --join_max_entries and every new one evicts the oldest.
With SCORES=random, each feedback event carries a probability vector and a truth of its own (drawn from a generator
seeded with the event's number: the truth follows the vector, so ROC AUC and average precision have something to
rank), instead of the same vector and truth on every event.
With REGIONS=N, each event carries a region extension, one of N values in turn (for --segment_by region).
Usage: [KIND=response] [SCORES=random] [REGIONS=N] python3 bench/prefill.py URL EVENTS [KEYS=1]   (KEYS distinct models, events spread evenly)"""
import http.client
import json
import os
import random
import sys
import time
import urllib.parse
import uuid

url, total = urllib.parse.urlparse(sys.argv[1]), int(sys.argv[2])
keys = int(sys.argv[3]) if len(sys.argv) > 3 else 1
responses = os.environ.get("KIND") == "response"
random_scores = os.environ.get("SCORES") == "random"
regions = int(os.environ.get("REGIONS") or 0)
data = {"response": {"data": {"ndarray": [[0.0007, 0.0037, 0.9956]]}}, "truth": {"data": {"ndarray": [[0, 0, 1]]}}}
response = {"data": {"names": ["t:0", "t:1", "t:2"], "ndarray": [[0.0007, 0.0037, 0.9956]]}, "meta": {}}
run = str(time.time_ns())


def scored(n):
    draw = random.Random(n)
    weights = [draw.random() ** 3 for _ in range(3)]
    vector = [w / sum(weights) for w in weights]
    truth = draw.choices(range(3), weights=vector)[0] if draw.random() < 0.8 else draw.randrange(3)
    return {"response": {"data": {"ndarray": [vector]}}, "truth": {"data": {"ndarray": [[int(c == truth) for c in range(3)]]}}}


def event(n):
    e = plain(n)
    if regions:
        e["region"] = f"region-{(n // keys) % regions}"
    return e


def plain(n):
    model = "bench" if keys == 1 else f"bench-{n % keys}"
    if responses:
        return {"specversion": "1.0", "type": "io.seldon.serving.inference.response", "source": "http://:8000/",
                "id": f"prefill-{run}-{n}", "requestid": str(uuid.uuid4()), "namespace": "bench",
                "inferenceservicename": model, "datacontenttype": "application/json", "data": response}
    return {"specversion": "1.0", "type": "io.seldon.serving.feedback", "source": "prefill", "id": f"{run}-{n}",
            "inferenceservicename": model, "datacontenttype": "application/json", "data": scored(n) if random_scores else data}


connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
started, sent = time.time(), 0
while sent < total:
    n = min(1000, total - sent)
    batch = [event(sent + i) for i in range(n)]
    connection.request("POST", "/", body=json.dumps(batch), headers={"Content-Type": "application/cloudevents-batch+json"})
    answer = connection.getresponse()
    body = answer.read()
    if answer.status not in (200, 202):
        sys.exit(f"prefill: HTTP {answer.status} after {sent} events: {body[:300]!r}")
    sent += n
print(f"prefill: {sent} {'response' if responses else 'feedback'} events in {time.time() - started:.0f} s")
