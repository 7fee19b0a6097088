"""Checks a running server's per-segment figures against scikit-learn on a fixed stream.

Posts a seeded stream of single-row Seldon feedback events with probability vectors to a server started with
`--segment_by region` (a 3-class model and a 2-class model, 1 500 rows each, three regions of different quality, the
region as a CloudEvent extension), then computes each region's figures from the same rows with scikit-learn and prints
them beside the server's JSON view and the largest difference. Needs scikit-learn (Debian: python3-sklearn).
Usage: python3 bench/sklearn-segments.py URL        (e.g. http://127.0.0.1:8080/, a server with no other models)"""
import json
import random
import sys
import urllib.request

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, precision_score, recall_score, roc_auc_score
from sklearn.preprocessing import label_binarize

url = sys.argv[1].rstrip("/") + "/"
ROWS = 1500
REGIONS = {"eu": 0.85, "us": 0.65, "asia": 0.45}  # how often the true class gets the top score


def stream(classes, seed):
    draw = random.Random(seed)
    rows = []
    for n in range(ROWS):
        region = draw.choice(list(REGIONS))
        truth = draw.randrange(classes)
        weights = [draw.random() for _ in range(classes)]
        if draw.random() < REGIONS[region]:
            weights[truth] += 1.5
        vector = [w / sum(weights) for w in weights]
        rows.append((region, truth, vector))
    return rows


def post(model, classes, rows):
    batch = []
    for n, (region, truth, vector) in enumerate(rows):
        batch.append({"specversion": "1.0", "type": "io.seldon.serving.feedback", "source": "sklearn-segments",
                      "id": f"{model}-{n}", "inferenceservicename": model, "region": region,
                      "datacontenttype": "application/json",
                      "data": {"response": {"data": {"ndarray": [vector]}},
                               "truth": {"data": {"ndarray": [[int(c == truth) for c in range(classes)]]}}}})
    for start in range(0, len(batch), 500):
        request = urllib.request.Request(url, data=json.dumps(batch[start:start + 500]).encode(),
                                         headers={"Content-Type": "application/cloudevents-batch+json"})
        urllib.request.urlopen(request).read()


def expected(classes, rows):
    y = np.array([t for _, t, _ in rows])
    p = np.array([v for _, _, v in rows])
    predicted = p.argmax(axis=1)
    figures = {"accuracy": accuracy_score(y, predicted),
               "macroPrecision": precision_score(y, predicted, average="macro", zero_division=0),
               "macroRecall": recall_score(y, predicted, average="macro", zero_division=0)}
    if classes == 2:
        figures["rocAuc"] = roc_auc_score(y, p[:, 1])
        figures["averagePrecision"] = average_precision_score(y, p[:, 1])
    else:
        figures["rocAuc"] = roc_auc_score(y, p, multi_class="ovr", average="macro")
        figures["averagePrecision"] = average_precision_score(label_binarize(y, classes=list(range(classes))), p, average="macro")
    return figures


def actual(value):
    return {"accuracy": value["accuracy"], "macroPrecision": value["macro"]["precision"], "macroRecall": value["macro"]["recall"],
            "rocAuc": value["probabilistic"]["rocAuc"], "averagePrecision": value["probabilistic"]["averagePrecision"]}


worst = 0.0
for model, classes, seed in (("three-classes", 3, 1), ("two-classes", 2, 2)):
    rows = stream(classes, seed)
    post(model, classes, rows)
    view = json.load(urllib.request.urlopen(url + "v1/metrics?format=json"))
    deployment = next(d for d in view["deployments"] if d["deployment"] == model)
    for region in REGIONS:
        ours = actual(deployment["segments"]["region"][region])
        theirs = expected(classes, [r for r in rows if r[0] == region])
        count = deployment["segments"]["region"][region]["count"]
        assert count == sum(1 for r in rows if r[0] == region), f"{model} {region}: {count} rows counted"
        for figure in theirs:
            worst = max(worst, abs(ours[figure] - theirs[figure]))
            print(f"{model:14} {region:5} rows={count:4} {figure:17} server={ours[figure]:.6f} scikit-learn={theirs[figure]:.6f} diff={abs(ours[figure] - theirs[figure]):.1e}")
    gaps = deployment["segmentGaps"]["region"]["accuracy"]
    print(f"{model:14} accuracy gap {gaps['gap']:.4f} ({gaps['maxValue']} - {gaps['minValue']}), apart={gaps['apart']}")
print(f"largest difference: {worst:.1e}")
sys.exit(0 if worst <= 1e-3 else 1)
