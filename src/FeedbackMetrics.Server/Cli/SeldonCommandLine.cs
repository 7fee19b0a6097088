using System.Text;

namespace FeedbackMetrics.Server.Cli;

/// <summary>
/// Seldon's metrics-server command line (<c>--model_name … MetricsServer</c>) and our own options in the same
/// snake_case style, turned into configuration keys so they take precedence over appsettings and environment.
/// </summary>
internal static class SeldonCommandLine
{
    public const string Section = "FeedbackMetrics";

    /// <summary>Seldon's server kinds; this server is the metrics one.</summary>
    private static readonly string[] OtherSeldonServers = ["DriftDetector", "OutlierDetector", "AdversarialDetector"];

    public static readonly IReadOnlyList<CliOption> Options =
    [
        new("model_name", "Server:ModelName", "Name of this metrics server (Seldon's --model_name).", "metrics"),
        new("http_port", "Server:HttpPort", "Port to listen on.", "8080"),
        new("bind_address", "Server:BindAddress", "Address to listen on.", "0.0.0.0"),
        new("protocol", "Server:Protocol", "Seldon protocol; only seldonfeedback.http is served.", "seldonfeedback.http"),
        new("log_format", "Server:LogFormat", "Console logs: text (one line per event) or json (one JSON object per line, for log pipelines).", "text"),
        new("storage_uri", "Decoding:StorageUri", "Decoder, by Seldon model class: adserver.cm_models.multiclass_one_hot.MulticlassOneHot, adserver.cm_models.multiclass_numeric.MultiClassNumeric or adserver.cm_models.binary_metrics.BinaryMetrics.", "adserver.cm_models.multiclass_one_hot.MulticlassOneHot"),
        new("binary_threshold", "Decoding:BinaryThreshold", "BinaryMetrics: a probability at or above this is the positive class.", "0.5"),
        new("deployment_decoders", "Decoding:DeploymentDecoders", "Comma-separated per-deployment decoders, NAMESPACE/DEPLOYMENT=DECODER[:THRESHOLD] (NAMESPACE * for any; DECODER a --storage_uri value or its class name, e.g. seldon/income=BinaryMetrics:0.3); other deployments use --storage_uri.", "", IsList: true),
        new("feedback_types", "Decoding:FeedbackTypes", "Comma-separated CloudEvent types counted as feedback; others are acknowledged and ignored.", "io.seldon.serving.feedback", IsList: true),
        new("class_names", "Exposition:ClassNames", "Comma-separated names for CLASS_0, CLASS_1, … shown in our series, the JSON view and the web view (per deployment: class_names in the --alert_rules file); Seldon's counters keep CLASS_i.", "", IsList: true),
        new("max_exported_classes", "Exposition:MaxExportedClasses", "Classes per model with their own Prometheus series (confusion cells and per-class figures); the rest are folded into class=\"other\". The JSON view keeps every class.", "50"),
        new("windows", "Windows:List", "Comma-separated windows every model keeps besides its cumulative figures: last_N (its last N rows) or a span counted back from now (5m, 1h, 24h, 7d); each has the full figure set in the JSON view and a window label in Prometheus. Empty: none.", "last_100,1h"),
        new("reply_url", "Reply:Url", "Where metric CloudEvents are posted (e.g. the broker); none when empty.", ""),
        new("event_type", "Reply:EventType", "ce-type of the metric CloudEvents.", "io.seldon.serving.feedback.metrics"),
        new("event_source", "Reply:EventSource", "ce-source of the metric CloudEvents.", "io.seldon.serving.feedback"),
        new("reply_queue_capacity", "Reply:QueueCapacity", "Metric events waiting to be posted before new ones are dropped (and counted).", "10000"),
        new("reply_retries", "Reply:Retries", "Retries of a failed post to --reply_url, with exponential backoff.", "4"),
        new("response_types", "Join:ResponseTypes", "Comma-separated CloudEvent types of logged model responses (Seldon executor, KServe agent): each is kept, and a truth-only feedback with its request id is joined to it and counted under the response's model.", "io.seldon.serving.inference.response,org.kubeflow.serving.inference.response", IsList: true),
        new("join_ttl", "Join:Ttl", "How long a pending response, a parked truth and a joined request (open to corrections) are kept after their last change (d.hh:mm:ss); expiries are counted.", "7.00:00:00"),
        new("join_max_entries", "Join:MaxEntries", "Most join entries kept (pending responses, parked truths, joined requests; all models); past it the oldest are forgotten first, counted. Each takes about 540 bytes of memory with --state memory; with sqlite about 230 bytes of disk and 50 of memory (one row, 3 probabilities).", "100000"),
        new("elasticsearch_uri", "Join:ElasticsearchUri", "Accepted for compatibility with Seldon and not used: responses are not looked up in Elasticsearch; send the model's response events here (--response_types) and a truth-only feedback is joined to them.", ""),
        new("alert_rules", "Alerts:RulesFile", "YAML file of alert rules, re-read when it changes (a bad file is reported and the last good rules stay); none: no alerts.", ""),
        new("alert_event_type", "Alerts:EventType", "ce-type of the alert CloudEvents posted to --reply_url at every transition.", "io.seldon.serving.feedback.alert"),
        new("alert_interval", "Alerts:Interval", "How often alert rules are judged (hh:mm:ss).", "00:00:05"),
        new("kubernetes_events", "Alerts:KubernetesEvents", "true: write a Kubernetes Event on the model's SeldonDeployment or InferenceService at every alert transition (needs RBAC; the chart has it).", "false"),
        new("kubernetes_api", "Alerts:KubernetesApi", "Kubernetes API URL for --kubernetes_events; empty: the in-cluster service account.", ""),
        new("state", "State:Mode", "Where counts are kept: sqlite (durable, exactly-once across restarts, under --state_dir), memory (lost on restart), or redis://HOST:PORT[,HOST:PORT…] (rediss:// for TLS): one state shared by several replicas, on one Redis or a Redis Cluster.", "sqlite"),
        new("state_dir", "State:Dir", "Directory of the durable state.", "./data"),
        new("dedupe_ttl", "State:DedupeTtl", "How long the (source, id, type) of a counted event is remembered to swallow redeliveries (hh:mm:ss or d.hh:mm:ss).", "1.00:00:00"),
        new("dedupe_max_ids", "State:DedupeMaxIds", "Most event ids remembered; the oldest are forgotten first.", "1000000"),
        new("redis_user", "State:RedisUser", "Redis ACL user for --state redis://…; the default user when empty.", ""),
        new("redis_password", "State:RedisPassword", "Redis password for --state redis://…; give it through the environment (FeedbackMetrics__State__RedisPassword, e.g. from a Secret), not the command line.", ""),
        new("redis_ca_file", "State:RedisCaFile", "PEM file of the CA that a rediss:// server's certificate chains to (a private CA); empty: the system's trusted roots.", ""),
        new("redis_prefix", "State:RedisPrefix", "Start of every Redis key this server writes; servers with the same prefix share one state.", "feedback-metrics"),
        new("redis_wait_replicas", "State:RedisWaitReplicas", "Redis replicas that must hold a request's writes before it is acknowledged (WAIT), so an acknowledged event survives a failover; 0: the primary's append-only file.", "0"),
        new("redis_wait_timeout", "State:RedisWaitTimeout", "How long a request waits for --redis_wait_replicas before it is answered 503 (hh:mm:ss.fff).", "00:00:01"),
        new("redis_refresh_interval", "State:RedisRefreshInterval", "How often figures counted by other replicas are read back from Redis (hh:mm:ss.fff): the most a replica's view lags.", "00:00:01"),
        new("max_keys", "Limits:MaxKeys", "Most (namespace, deployment, predictor, model) keys kept; events for new keys past it are refused (422).", "10000"),
        new("max_classes", "Limits:MaxClasses", "Most classes per key; events naming more are refused (422).", "1000"),
        new("max_body_bytes", "Limits:MaxBodyBytes", "Largest request body accepted (413 past it).", "4194304"),
        new("max_concurrent_requests", "Limits:MaxConcurrentRequests", "Feedback requests processed at once; more wait in a queue.", "256"),
        new("max_queued_requests", "Limits:MaxQueuedRequests", "Feedback requests waiting for a slot; past it the server answers 503 with Retry-After (overload).", "2048"),
        new("max_connections", "Limits:MaxConnections", "Open connections accepted.", "10000"),
        new("admin_token_file", "Admin:TokenFile", "File holding the bearer token that enables DELETE /v1/metrics/…; reset is disabled without it.", ""),
        new("oidc_audience", "Security:OidcAudience", "Verify senders: every POST / must carry a bearer token (OIDC, e.g. Knative's) for this audience, signed by --oidc_issuer; off when empty.", ""),
        new("oidc_issuer", "Security:OidcIssuer", "Issuer of sender tokens; keys come from its /.well-known/openid-configuration and JWKS.", "https://kubernetes.default.svc.cluster.local"),
        new("oidc_subjects", "Security:OidcSubjects", "Comma-separated token subjects allowed to send (e.g. system:serviceaccount:NS:TRIGGER_SA); any subject of the issuer when empty.", "", IsList: true),
        new("oidc_require_https_metadata", "Security:OidcRequireHttpsMetadata", "Fetch discovery and keys over https only; false only for a test issuer on loopback.", "true"),
        new("oidc_ca_file", "Security:OidcCaFile", "PEM CA trusted beside the system's roots for the issuer's certificate (in a pod: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt).", ""),
        new("oidc_discovery_token_file", "Security:OidcDiscoveryTokenFile", "Bearer token sent when reading discovery and keys, re-read each time (in a pod: /var/run/secrets/kubernetes.io/serviceaccount/token).", ""),
        new("oidc_clock_skew", "Security:OidcClockSkew", "Tolerance on token expiry and not-before times.", "00:00:30"),
        new("oidc_refresh_interval", "Security:OidcRefreshInterval", "Least time between two key-set re-reads caused by tokens with an unknown key id.", "00:01:00"),
        new("oidc_automatic_refresh_interval", "Security:OidcAutomaticRefreshInterval", "How often discovery and keys are re-read anyway (at least 00:05:00).", "01:00:00"),
        new("protect_reads", "Security:ProtectReads", "Protect GET /v1/metrics: none, token (the bearer token of --read_token_file) or oidc (a token as for senders, subjects from --read_subjects). /healthz and /ready stay open.", "none"),
        new("read_token_file", "Security:ReadTokenFile", "File holding the bearer token for reads with --protect_reads token.", ""),
        new("read_subjects", "Security:ReadSubjects", "Comma-separated token subjects allowed to read with --protect_reads oidc; any subject of the issuer when empty.", "", IsList: true),
        new("max_events_per_source_per_second", "Security:MaxEventsPerSourcePerSecond", "Requests per second each source may send to POST / (by OIDC subject when verified, else by client IP); past it 429 with Retry-After. 0: no limit.", "0"),
    ];

    /// <summary>Parses the arguments; null when --help was asked (the help text was written).</summary>
    public static Dictionary<string, string?>? Parse(IReadOnlyList<string> args, TextWriter helpOut)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                helpOut.Write(HelpText());
                return null;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                CheckPositional(arg);
                continue;
            }

            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            var option = Find(name) ?? throw new CommandLineException($"Unknown option --{name}. Run with --help to list the options.");
            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new CommandLineException($"Option --{name} needs a value.");
                }

                value = args[++i];
            }

            var key = $"{Section}:{option.ConfigKey}";
            if (option.IsList)
            {
                var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                for (var j = 0; j < items.Length; j++)
                {
                    values[$"{key}:{j}"] = items[j];
                }
            }
            else
            {
                values[key] = value;
            }
        }

        return values;
    }

    public static string HelpText()
    {
        var text = new StringBuilder();
        text.AppendLine("Feedback metrics server: CloudEvents feedback in, confusion matrices and metrics out.");
        text.AppendLine();
        text.AppendLine("Usage: FeedbackMetrics.Server [options] [MetricsServer]");
        text.AppendLine();
        text.AppendLine("Options (each may also come from the environment, e.g. FeedbackMetrics__Reply__Url, or appsettings.json):");
        foreach (var option in Options)
        {
            text.Append("  --").Append(option.Name.PadRight(32)).Append(' ').AppendLine(option.Help);
            text.Append(' ', 37).Append("[").Append(Section).Append(':').Append(option.ConfigKey).Append("; default: ")
                .Append(string.IsNullOrEmpty(option.Default) ? "none" : option.Default).AppendLine("]");
        }

        text.AppendLine("  --help                             Show this text.");
        text.AppendLine();
        text.AppendLine("Seldon's environment variables SELDON_DEPLOYMENT_NAMESPACE, SELDON_DEPLOYMENT_ID, PREDICTOR_ID and");
        text.AppendLine("PREDICTIVE_UNIT_ID give the labels of events that carry no namespace / inferenceservicename /");
        text.AppendLine("endpoint / modelid extensions.");
        return text.ToString();
    }

    private static CliOption? Find(string name) =>
        Options.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal)
            || string.Equals(o.Name, name.Replace('-', '_'), StringComparison.Ordinal));

    private static void CheckPositional(string arg)
    {
        if (arg == "MetricsServer")
        {
            return;
        }

        if (OtherSeldonServers.Contains(arg))
        {
            throw new CommandLineException($"This image is Seldon's MetricsServer only; {arg} is not served here.");
        }

        throw new CommandLineException($"Unexpected argument '{arg}'. The only positional argument is MetricsServer; options start with --.");
    }
}
