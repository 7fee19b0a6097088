using FeedbackMetrics.Core.Decoding;

namespace FeedbackMetrics.Server.Cli;

/// <summary>
/// Every option of the server, by topic: the one source of the command line, --help, the start-up error messages and
/// docs/configuration.md. Help lines stay short; what they leave out goes in Details.
/// </summary>
internal static class OptionTable
{
    public static readonly IReadOnlyList<CliOption> All =
    [
        .. In(
            OptionTopic.Seldon,
            new("model_name", "Server:ModelName", "Name of this metrics server, shown in the start-up log line.", "metrics"),
            new("http_port", "Server:HttpPort", "Port to listen on.", "8080") { Accepts = "a port number 1-65535 (0 picks a free port)" },
            new("protocol", "Server:Protocol", "Seldon's protocol; only seldonfeedback.http is served.", "seldonfeedback.http") { Accepts = "seldonfeedback.http" },
            new("storage_uri", "Decoding:StorageUri", "Decoder of every deployment without its own (--deployment_decoders).", "adserver.cm_models.multiclass_one_hot.MulticlassOneHot")
            {
                Accepts = "one of " + string.Join(", ", ClassDecoder.StorageUris.Keys),
                Details = "Seldon's model classes. A payload's shape says how most payloads read; the decoder decides Seldon's ambiguous 1-D ndarray (one score vector for MulticlassOneHot, one class per element for the others), and BinaryMetrics counts Seldon's TP/FP/FN/TN with --binary_threshold.",
            },
            new("reply_url", "Reply:Url", "Where metric and alert CloudEvents are posted (e.g. a broker); none when empty.", "") { Accepts = "an absolute http(s) URL, or empty" },
            new("event_type", "Reply:EventType", "ce-type of the metric CloudEvents.", "io.seldon.serving.feedback.metrics"),
            new("event_source", "Reply:EventSource", "ce-source of the metric and alert CloudEvents.", "io.seldon.serving.feedback"),
            new("elasticsearch_uri", "Join:ElasticsearchUri", "Accepted for compatibility with Seldon and not used; see --response_types.", "")
            {
                Details = "Responses are not looked up in Elasticsearch: send the model's response events here (--response_types) and a truth-only feedback is joined to them.",
            }),
        .. In(
            OptionTopic.Server,
            new("bind_address", "Server:BindAddress", "Address to listen on.", "0.0.0.0") { Accepts = "an IP address of this machine; anything else listens on all addresses" },
            new("log_format", "Server:LogFormat", "Console logs: text (one line per event) or json (one object per line).", "text") { Accepts = "text or json" }),
        .. In(
            OptionTopic.Decoding,
            new("feedback_types", "Decoding:FeedbackTypes", "CloudEvent types counted as feedback, comma-separated; others are acknowledged and ignored.", "io.seldon.serving.feedback", IsList: true),
            new("binary_threshold", "Decoding:BinaryThreshold", "BinaryMetrics: a probability at or above this is the positive class.", "0.5") { Accepts = "a number strictly between 0 and 1" },
            new("deployment_decoders", "Decoding:DeploymentDecoders", "Per-deployment decoders, NAMESPACE/DEPLOYMENT=DECODER[:THRESHOLD], comma-separated.", "", IsList: true)
            {
                Accepts = $"comma-separated NAMESPACE/DEPLOYMENT=DECODER[:THRESHOLD] with DECODER one of {DecoderClassNames} (or its --storage_uri), e.g. seldon/income=BinaryMetrics:0.3",
                Details = "NAMESPACE * matches any namespace; THRESHOLD is that deployment's --binary_threshold. Other deployments use --storage_uri.",
            }),
        .. In(
            OptionTopic.Join,
            new("response_types", "Join:ResponseTypes", "CloudEvent types of logged model responses, comma-separated, kept for the join.", "io.seldon.serving.inference.response,org.kubeflow.serving.inference.response", IsList: true)
            {
                Details = "The defaults are what the Seldon executor and the KServe agent send. A truth-only feedback with a response's request id is joined to it and counted under the response's model.",
            },
            new("join_ttl", "Join:Ttl", "How long a pending response, a parked truth or a joined request is kept after its last change.", "7.00:00:00")
            {
                Details = "A joined request stays open to corrections for this long. Expiries are counted.",
            },
            new("join_max_entries", "Join:MaxEntries", "Most join entries kept, all models together; past it the oldest go first (counted).", "100000")
            {
                Details = "Entries are pending responses, parked truths and joined requests. Each takes about 580 bytes of memory (one row, 3 probabilities), and with sqlite about 210 bytes of the state file.",
            }),
        .. In(
            OptionTopic.Windows,
            new CliOption("windows", "Windows:List", "Windows every model keeps besides its cumulative figures, comma-separated; empty: none.", "last_100,1h")
            {
                Accepts = "last_N (the last N rows, N from 1 to 100000) or a span back from now, a whole number and m, h or d from 1m to 31d (5m, 1h, 24h, 7d), comma-separated; or empty",
                Details = "Each window has the full figure set in the JSON view and a window label in Prometheus.",
            }),
        .. In(
            OptionTopic.Segments,
            new("segment_by", "Segments:By", "Keep each model's figures also per value of these, comma-separated: CloudEvent extensions, tags.KEY or metadata.HEADER.", "", IsList: true)
            {
                Accepts = "comma-separated CloudEvent extension names (lower-case letters and digits, e.g. region), tags.KEY (Seldon's meta.tags.KEY) or metadata.HEADER (a request header the KServe agent passes), none twice; not with --state redis://",
                Details = "A logged response's values go with it to the truth that joins it. An event without a name's value is in none of its segments. The JSON view has segments and segmentGaps per model; Prometheus has rows and accuracy per value.",
            },
            new("max_segment_values", "Segments:MaxValues", "Values of one segment name each model keeps; rows of later values count under value \"other\".", "20") { Accepts = "a whole number from 1 to 100", Details = "Each value keeps a figure set and windows of its own, costing about what a model costs." }),
        .. In(
            OptionTopic.Alerts,
            new("alert_rules", "Alerts:RulesFile", "YAML file of alert rules, re-read when it changes; no alerts when empty.", "")
            {
                Accepts = "a file path, or empty",
                Details = "A bad file is reported and the last good rules stay.",
            },
            new("alert_event_type", "Alerts:EventType", "ce-type of the alert CloudEvents posted to --reply_url at every transition.", "io.seldon.serving.feedback.alert"),
            new("alert_interval", "Alerts:Interval", "How often alert rules are judged.", "00:00:05") { Accepts = "a positive duration, hh:mm:ss" },
            new("kubernetes_events", "Alerts:KubernetesEvents", "true: a Kubernetes Event on the model's SeldonDeployment or InferenceService at every alert transition.", "false")
            {
                Details = "Needs RBAC to create Events (the chart has it).",
            },
            new("kubernetes_api", "Alerts:KubernetesApi", "Kubernetes API URL for --kubernetes_events; empty: the in-cluster service account.", "") { Accepts = "an absolute URL, or empty" }),
        .. In(
            OptionTopic.State,
            new("state", "State:Mode", "Where counts are kept: sqlite (durable, under --state_dir), memory (lost on restart) or redis://HOST:PORT.", "sqlite")
            {
                Accepts = "sqlite, memory, or redis://HOST:PORT[,HOST:PORT…] (rediss:// for TLS)",
                Details = "sqlite counts exactly once across restarts. redis://HOST:PORT[,HOST:PORT…] (rediss:// for TLS) keeps one state shared by several replicas, on one Redis or a Redis Cluster.",
            },
            new("state_dir", "State:Dir", "Directory of the sqlite state; a relative path starts at the working directory.", "./data")
            {
                Details = "The server holds it with an OS lock on feedback-metrics.lock (which holds its process id) while it runs: a second server on the same directory refuses to start, naming the first. A directory that cannot be written at start, or whose file system takes no locks, is not locked; a warning says so. The start-up log names the absolute path.",
            },
            new("dedupe_ttl", "State:DedupeTtl", "How long a counted event's (source, id, type) is remembered, to swallow redeliveries.", "1.00:00:00") { Accepts = "a positive duration, hh:mm:ss or d.hh:mm:ss" },
            new("dedupe_max_ids", "State:DedupeMaxIds", "Most event ids remembered; the oldest are forgotten first.", "1000000"),
            new("redis_user", "State:RedisUser", "Redis ACL user for --state redis://…; the default user when empty.", ""),
            new("redis_password", "State:RedisPassword", "Redis password for --state redis://…; give it through the environment, not the command line.", "")
            {
                Details = "For example FeedbackMetrics__State__RedisPassword from a Kubernetes Secret.",
            },
            new("redis_ca_file", "State:RedisCaFile", "PEM file of a private CA a rediss:// server's certificate chains to; empty: the system's roots.", "") { Accepts = "a file path, or empty" },
            new("redis_prefix", "State:RedisPrefix", "Start of every Redis key this server writes; servers with the same prefix share one state.", "feedback-metrics")
            {
                Accepts = "letters, digits and _ . : -",
            },
            new("redis_wait_replicas", "State:RedisWaitReplicas", "Redis replicas that must hold a request's writes before it is acknowledged (WAIT).", "0")
            {
                Details = "So an acknowledged event survives a failover; 0: the primary's append-only file.",
            },
            new("redis_wait_timeout", "State:RedisWaitTimeout", "How long a request waits for --redis_wait_replicas before it is answered 503.", "00:00:01")
            {
                Accepts = "a duration from 00:00:00.001 to 00:01:00",
            },
            new("redis_refresh_interval", "State:RedisRefreshInterval", "How often figures counted by other replicas are read back: the most a replica's view lags.", "00:00:01")
            {
                Accepts = "a positive duration, hh:mm:ss.fff",
            }),
        .. In(
            OptionTopic.Reply,
            new("reply_queue_capacity", "Reply:QueueCapacity", "Metric events waiting to be posted; past it new ones are dropped (and counted).", "10000"),
            new("reply_retries", "Reply:Retries", "Retries of a failed post to --reply_url, with exponential backoff.", "4")),
        .. In(
            OptionTopic.Exposition,
            new("class_names", "Exposition:ClassNames", "Names for CLASS_0, CLASS_1, … in our series, the JSON and the web view, comma-separated.", "", IsList: true)
            {
                Details = "Per deployment: class_names in the --alert_rules file. Seldon's counters keep CLASS_i.",
            },
            new("max_exported_classes", "Exposition:MaxExportedClasses", "Classes per model with their own Prometheus series; the rest fold into class=\"other\".", "50")
            {
                Details = "Applies to confusion cells and per-class figures. The JSON view keeps every class.",
            }),
        .. In(
            OptionTopic.Security,
            new("oidc_audience", "Security:OidcAudience", "Verify senders: every POST / needs a bearer token for this audience; off when empty.", "")
            {
                Details = "An OIDC token (e.g. Knative's) signed by --oidc_issuer.",
            },
            new("oidc_issuer", "Security:OidcIssuer", "Issuer of sender tokens; keys come from its discovery document and JWKS.", "https://kubernetes.default.svc.cluster.local")
            {
                Accepts = "an absolute http(s) URL (https unless --oidc_require_https_metadata false)",
            },
            new("oidc_subjects", "Security:OidcSubjects", "Token subjects allowed to send, comma-separated; any subject of the issuer when empty.", "", IsList: true)
            {
                Details = "For example system:serviceaccount:NS:TRIGGER_SA.",
            },
            new("oidc_require_https_metadata", "Security:OidcRequireHttpsMetadata", "Fetch discovery and keys over https only; false only for a test issuer on loopback.", "true"),
            new("oidc_ca_file", "Security:OidcCaFile", "PEM CA trusted beside the system's roots for the issuer's certificate.", "")
            {
                Accepts = "a file path, or empty",
                Details = "In a pod: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt.",
            },
            new("oidc_discovery_token_file", "Security:OidcDiscoveryTokenFile", "Bearer token sent when reading discovery and keys, re-read each time.", "")
            {
                Accepts = "a file path, or empty",
                Details = "In a pod: /var/run/secrets/kubernetes.io/serviceaccount/token.",
            },
            new("oidc_clock_skew", "Security:OidcClockSkew", "Tolerance on token expiry and not-before times.", "00:00:30") { Accepts = "a duration from 00:00:00 to 00:10:00" },
            new("oidc_refresh_interval", "Security:OidcRefreshInterval", "Least time between two key-set re-reads caused by an unknown key id.", "00:01:00") { Accepts = "a duration of at least 00:00:01" },
            new("oidc_automatic_refresh_interval", "Security:OidcAutomaticRefreshInterval", "How often discovery and keys are re-read anyway.", "01:00:00") { Accepts = "a duration of at least 00:05:00" },
            new("protect_reads", "Security:ProtectReads", "Protect GET /v1/metrics: none, token (--read_token_file) or oidc (--read_subjects).", "none")
            {
                Accepts = "none, token or oidc",
                Details = "oidc wants a token as for senders. /healthz and /ready stay open.",
            },
            new("read_token_file", "Security:ReadTokenFile", "File holding the bearer token for reads with --protect_reads token.", "") { Accepts = "a file path, or empty" },
            new("read_subjects", "Security:ReadSubjects", "Token subjects allowed to read with --protect_reads oidc, comma-separated; any when empty.", "", IsList: true),
            new("max_events_per_source_per_second", "Security:MaxEventsPerSourcePerSecond", "Requests per second each source may send to POST /; past it 429 with Retry-After. 0: no limit.", "0")
            {
                Details = "A source is the OIDC subject when senders are verified, else the client IP.",
            },
            new("admin_token_file", "Admin:TokenFile", "File holding the bearer token that enables DELETE /v1/metrics/…; no reset without it.", "")
            {
                Accepts = "a readable file holding the token, or empty",
            }),
        .. In(
            OptionTopic.Limits,
            new("max_keys", "Limits:MaxKeys", "Most (namespace, deployment, predictor, model) keys kept; events for new keys past it get 422.", "10000"),
            new("max_classes", "Limits:MaxClasses", "Most classes per key; events naming more get 422.", "1000"),
            new("max_body_bytes", "Limits:MaxBodyBytes", "Largest request body accepted (413 past it).", "4194304"),
            new("max_concurrent_requests", "Limits:MaxConcurrentRequests", "Feedback requests processed at once; more wait in a queue.", "256"),
            new("max_queued_requests", "Limits:MaxQueuedRequests", "Feedback requests waiting for a slot; past it 503 with Retry-After.", "2048"),
            new("max_connections", "Limits:MaxConnections", "Open connections accepted.", "10000")),
    ];

    /// <summary>The class names that end Seldon's --storage_uri values (BinaryMetrics, …), which --deployment_decoders also takes.</summary>
    private static string DecoderClassNames => string.Join(", ", ClassDecoder.StorageUris.Keys.Select(uri => uri[(uri.LastIndexOf('.') + 1)..]));

    private static IEnumerable<CliOption> In(OptionTopic topic, params CliOption[] options) => options.Select(o => o with { Topic = topic });
}
