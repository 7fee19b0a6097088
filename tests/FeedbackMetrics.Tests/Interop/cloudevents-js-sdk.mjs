// Sends feedback events built with the JavaScript CloudEvents SDK (npm "cloudevents") to a running server and
// parses every reply with the same SDK. Prints one JSON summary to stdout; exits 1 if any check failed.
//
//   node cloudevents-js-sdk.mjs <server-url> <binary|structured|batch> [--source <ce-source>]
//
// CLOUDEVENTS_SDK names the package directory (default: <repo>/.tools/js/node_modules/cloudevents, where
// scripts/install-test-deps.sh installs it). Only the SDK and Node built-ins (fetch) are used.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sdkDir = process.env.CLOUDEVENTS_SDK ?? join(here, "..", "..", "..", ".tools", "js", "node_modules", "cloudevents");
const require = createRequire(import.meta.url);
const { CloudEvent, HTTP } = require(sdkDir);
const sdkVersion = require(join(sdkDir, "package.json")).version;

const FEEDBACK_TYPE = "io.seldon.serving.feedback";
const METRICS_TYPE = "io.seldon.serving.feedback.metrics";
const METRICS_SOURCE = "io.seldon.serving.feedback";
const BATCH_CONTENT_TYPE = "application/cloudevents-batch+json; charset=utf-8";
const FEEDBACK = { response: { data: { ndarray: [[0.1, 0.9]] } }, truth: { data: { ndarray: [[0, 1]] } } };

const args = process.argv.slice(2);
const [url, mode] = args;
const sourceAt = args.indexOf("--source");
const source = sourceAt >= 0 ? args[sourceAt + 1] : "js-sdk-test";
if (!url || !["binary", "structured", "batch"].includes(mode) || source === undefined) {
  console.error("usage: node cloudevents-js-sdk.mjs <server-url> <binary|structured|batch> [--source <ce-source>]");
  process.exit(2);
}

const identity = { inferenceservicename: `js-sdk-${mode}`, namespace: "seldon", endpoint: "default", modelid: "classifier" };
const summary = { sdk: `cloudevents@${sdkVersion}`, node: process.version, mode, source, identity, sent: [], replies: [], failures: [] };
const fail = (step, message) => {
  summary.failures.push(`${step}: ${message}`);
};

/** A feedback event built with the SDK's constructor, which validates every attribute (source as a URI-reference). */
function feedback(n) {
  const id = `${mode}-${n}`;
  return new CloudEvent({ specversion: "1.0", type: FEEDBACK_TYPE, source, id, ...identity, requestid: `req-${id}`, data: FEEDBACK });
}

/** The SDK's own serialisation of an event in this run's mode (binary or structured). */
const serialise = (event) => (mode === "binary" ? HTTP.binary(event) : HTTP.structured(event));

async function post(step, message) {
  summary.sent.push({ step, headers: message.headers, body: message.body });
  const response = await fetch(url, { method: "POST", headers: message.headers, body: message.body });
  const reply = { step, status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  summary.replies.push(reply);
  return reply;
}

/** A counted event: 200 and a metric CloudEvent in binary mode that the SDK parses and validates. */
function expectMetricEvent(step, reply, sent) {
  if (reply.status !== 200) {
    return fail(step, `expected 200 with a metric event, got ${reply.status}: ${reply.body}`);
  }
  if (!reply.headers["ce-id"]) {
    fail(step, `expected a binary-mode reply (ce-* headers), got content-type ${reply.headers["content-type"]}`);
  }
  let event;
  try {
    // toEvent builds the event without validation (strict = false); validate() runs the SDK's JSON-schema checks.
    event = HTTP.toEvent({ headers: reply.headers, body: reply.body });
    event.validate();
  } catch (error) {
    return fail(step, `the SDK cannot parse the reply: ${error.message} ${JSON.stringify(error.errors ?? "")}`);
  }
  reply.event = JSON.parse(JSON.stringify(event));
  reply.dataIsObject = typeof event.data === "object" && event.data !== null;
  if (event.type !== METRICS_TYPE) fail(step, `reply type ${event.type}, expected ${METRICS_TYPE}`);
  if (event.source !== METRICS_SOURCE) fail(step, `reply source ${event.source}, expected ${METRICS_SOURCE}`);
  if (event.specversion !== "1.0") fail(step, `reply specversion ${event.specversion}`);
  for (const name of ["inferenceservicename", "namespace", "endpoint", "modelid", "requestid"]) {
    if (event[name] !== sent[name]) fail(step, `reply extension ${name} = ${event[name]}, expected ${sent[name]} (echoed)`);
  }
  if (!reply.dataIsObject) fail(step, `reply data is not JSON the SDK decoded: ${typeof event.data}`);
  return event;
}

/** A redelivery or an ignored type: 202 and an empty body. */
function expectAcknowledged(step, reply) {
  if (reply.status !== 202 || reply.body !== "") {
    fail(step, `expected 202 with an empty body, got ${reply.status}: ${reply.body}`);
  }
}

async function singleEvents() {
  const first = feedback(1);
  const second = feedback(2);
  const firstMessage = serialise(first);
  const metric = expectMetricEvent("first", await post("first", firstMessage), first);
  expectMetricEvent("second", await post("second", serialise(second)), second);
  // The same message again, as a broker redelivers it: acknowledged, not counted twice.
  expectAcknowledged("redelivery", await post("redelivery", firstMessage));
  // The server's own reply looped back by a trigger without a filter: an ignored type.
  if (metric) {
    expectAcknowledged("own-reply", await post("own-reply", serialise(metric)));
  }
  summary.expected = { counted: 2 };
}

async function batch() {
  // The SDK can parse a batch (HTTP.toEvent on application/cloudevents-batch+json) but has no batch serialiser:
  // HTTP.binary/HTTP.structured take one event. The body is the JSON array of the SDK's structured serialisations.
  const events = [feedback(1), feedback(2), new CloudEvent({ type: METRICS_TYPE, source, id: `${mode}-3`, ...identity, data: { note: "not feedback" } })];
  const message = {
    headers: { "content-type": BATCH_CONTENT_TYPE },
    body: `[${events.map((event) => HTTP.structured(event).body).join(",")}]`,
  };
  try {
    const parsed = HTTP.toEvent(message);
    if (!Array.isArray(parsed) || parsed.length !== events.length) fail("batch", "the SDK does not read back the batch it was given");
  } catch (error) {
    fail("batch", `the SDK refuses the batch body: ${error.message}`);
  }

  for (const [step, outcomes] of [["batch", ["accepted", "accepted", "ignored"]], ["batch-redelivery", ["duplicate", "duplicate", "ignored"]]]) {
    const reply = await post(step, message);
    if (reply.status !== 200) {
      fail(step, `expected 200 with per-event results, got ${reply.status}: ${reply.body}`);
      continue;
    }
    if (HTTP.isEvent({ headers: reply.headers, body: reply.body })) {
      fail(step, "a batch reply must not be a CloudEvent");
    }
    try {
      reply.results = JSON.parse(reply.body).results;
      const got = reply.results.map((r) => r.outcome);
      if (JSON.stringify(got) !== JSON.stringify(outcomes)) fail(step, `outcomes ${JSON.stringify(got)}, expected ${JSON.stringify(outcomes)}`);
      const ids = reply.results.map((r) => `${r.source}#${r.id}`);
      const sentIds = events.map((e) => `${e.source}#${e.id}`);
      if (JSON.stringify(ids) !== JSON.stringify(sentIds)) fail(step, `results name ${JSON.stringify(ids)}, expected ${JSON.stringify(sentIds)}`);
    } catch (error) {
      fail(step, `the batch reply is not {"results": [...]}: ${error.message}`);
    }
  }
  summary.expected = { counted: 2 };
}

try {
  await (mode === "batch" ? batch() : singleEvents());
} catch (error) {
  fail("run", error.stack ?? String(error));
}
console.log(JSON.stringify(summary, null, 2));
process.exit(summary.failures.length === 0 ? 0 : 1);
