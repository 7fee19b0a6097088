using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>Every log line the server writes, chosen for an operator reading <c>kubectl logs</c>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "Started", Level = LogLevel.Information,
        Message = "Feedback metrics server {ModelName} listening on {Address}: decoder {StorageUri}, feedback types [{FeedbackTypes}], state {State}, reply URL {ReplyUrl}")]
    public static partial void Started(ILogger logger, string modelName, string address, string storageUri, string feedbackTypes, string state, string replyUrl);

    [LoggerMessage(EventId = 40, EventName = "Segments", Level = LogLevel.Information,
        Message = "Segments: each model's figures are kept also per value of [{Names}], at most {MaxValues} values of each (later ones as other)")]
    public static partial void Segments(ILogger logger, string names, int maxValues);

    [LoggerMessage(EventId = 2, EventName = "EventRejected", Level = LogLevel.Warning,
        Message = "Rejected event {Source}#{Id} with {Status}: {Reason}")]
    public static partial void EventRejected(ILogger logger, int status, string source, string id, string reason);

    [LoggerMessage(EventId = 3, EventName = "ReplyFailed", Level = LogLevel.Warning,
        Message = "Metric event {ReplyId} could not be posted to {ReplyUrl} after retries: {Reason}; metric events stay in the outbox and are offered again every few seconds (one line until it recovers)")]
    public static partial void ReplyFailed(ILogger logger, string replyId, Uri replyUrl, string reason);

    [LoggerMessage(EventId = 11, EventName = "ReplyRecovered", Level = LogLevel.Information,
        Message = "Metric events are posted to {ReplyUrl} again; {Waiting} waiting")]
    public static partial void ReplyRecovered(ILogger logger, Uri replyUrl, int waiting);

    [LoggerMessage(EventId = 4, EventName = "ElasticsearchIgnored", Level = LogLevel.Warning,
        Message = "--elasticsearch_uri {Uri} is accepted for compatibility but not used: this server does not look responses up in Elasticsearch; send it the model's response events (--response_types) and a truth-only feedback is joined to them by request id")]
    public static partial void ElasticsearchIgnored(ILogger logger, string uri);

    [LoggerMessage(EventId = 5, EventName = "StateRestored", Level = LogLevel.Information,
        Message = "State restored from {Store}: {Keys} keys, {Ids} remembered event ids, in {ElapsedMs} ms")]
    public static partial void StateRestored(ILogger logger, string store, int keys, int ids, long elapsedMs);

    [LoggerMessage(EventId = 6, EventName = "StorageUnavailable", Level = LogLevel.Error,
        Message = "Storage unavailable, answering 503 until it recovers: {Reason}")]
    public static partial void StorageUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 7, EventName = "StorageRecovered", Level = LogLevel.Information,
        Message = "Storage available again")]
    public static partial void StorageRecovered(ILogger logger);

    [LoggerMessage(EventId = 8, EventName = "KeysReset", Level = LogLevel.Information,
        Message = "Reset {Count} key(s) matching {Namespace}/{Deployment}/{Predictor}/{Model}")]
    public static partial void KeysReset(ILogger logger, int count, string @namespace, string deployment, string predictor, string model);

    [LoggerMessage(EventId = 10, EventName = "WriterDefect", Level = LogLevel.Critical,
        Message = "Unexpected error in the state writer; the events of this group are refused with 503 and the state is rebuilt from the file")]
    public static partial void WriterDefect(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 41, EventName = "StateContended", Level = LogLevel.Warning,
        Message = "A group of {Count} request(s) was refused with 503: other replicas appended to the shared state first at each of {Attempts} attempts; the broker delivers them again")]
    public static partial void StateContended(ILogger logger, int count, int attempts);

    [LoggerMessage(EventId = 42, EventName = "StateLost", Level = LogLevel.Error,
        Message = "The shared state is loaded again: {Reason}")]
    public static partial void StateLost(ILogger logger, string reason);

    [LoggerMessage(EventId = 43, EventName = "PartitionRepaired", Level = LogLevel.Warning,
        Message = "The Redis log of {Partition} did not agree with the snapshot loaded: {Reason}")]
    public static partial void PartitionRepaired(ILogger logger, string partition, string reason);

    [LoggerMessage(EventId = 12, EventName = "RequestAborted", Level = LogLevel.Debug,
        Message = "A client went away before its request was read ({Reason}); counted as aborted")]
    public static partial void RequestAborted(ILogger logger, string reason);

    [LoggerMessage(EventId = 13, EventName = "AlertTransition", Level = LogLevel.Warning,
        Message = "Alert {State} for {Key}: {Message}")]
    public static partial void AlertTransition(ILogger logger, string state, string key, string message);

    [LoggerMessage(EventId = 14, EventName = "AlertRulesLoaded", Level = LogLevel.Information,
        Message = "Loaded {Count} alert rule(s) from {Path}")]
    public static partial void AlertRulesLoaded(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 15, EventName = "AlertRulesRefused", Level = LogLevel.Error,
        Message = "The alert rules file was refused, the {Kept} rule(s) in force stay: {Reason}")]
    public static partial void AlertRulesRefused(ILogger logger, string reason, int kept);

    [LoggerMessage(EventId = 16, EventName = "KubernetesEventFailed", Level = LogLevel.Warning,
        Message = "Could not write the Kubernetes Event of an alert on {Key}: {Reason}")]
    public static partial void KubernetesEventFailed(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 17, EventName = "AlertRoundFailed", Level = LogLevel.Error,
        Message = "A round of alert judging failed; the next one tries again")]
    public static partial void AlertRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9, EventName = "StateUnusable", Level = LogLevel.Critical,
        Message = "The state cannot be loaded, stopping: {Reason}")]
    public static partial void StateUnusable(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 18, EventName = "ResponseNotKept", Level = LogLevel.Debug,
        Message = "Response event {Event} acknowledged and not kept for the join: {Reason}")]
    public static partial void ResponseNotKept(ILogger logger, string @event, string reason);

    [LoggerMessage(EventId = 19, EventName = "ResponseNotKeptFirst", Level = LogLevel.Warning,
        Message = "Response events of {Namespace}/{Deployment} are acknowledged and not kept for the join: {Event}: {Reason} (further ones of this deployment are logged at debug and counted in feedback_metrics_ignored_events_total)")]
    public static partial void ResponseNotKeptFirst(ILogger logger, string @namespace, string deployment, string @event, string reason);

    [LoggerMessage(EventId = 20, EventName = "EventTypeNotHandled", Level = LogLevel.Warning,
        Message = "Events of type {Type} are acknowledged and not counted: it is not a type this server handles (first: {Event}). Feedback types: [{FeedbackTypes}] (--feedback_types); response types: [{ResponseTypes}] (--response_types). Further events of this type are logged at debug and counted in feedback_metrics_ignored_events_total by type")]
    public static partial void EventTypeNotHandled(ILogger logger, string type, string @event, string feedbackTypes, string responseTypes);

    [LoggerMessage(EventId = 21, EventName = "EventTypeNotHandledAgain", Level = LogLevel.Debug,
        Message = "Event {Event} of type {Type} acknowledged and not counted: the type is not handled")]
    public static partial void EventTypeNotHandledAgain(ILogger logger, string type, string @event);

    [LoggerMessage(EventId = 22, EventName = "EventTypesNotHandledCapped", Level = LogLevel.Warning,
        Message = "{Count} event types this server does not handle were logged as warnings; events of any further unhandled type are logged at debug only (all are still counted in feedback_metrics_ignored_events_total)")]
    public static partial void EventTypesNotHandledCapped(ILogger logger, int count);

    [LoggerMessage(EventId = 30, EventName = "StateDirectoryNotLocked", Level = LogLevel.Warning,
        Message = "The state directory {Directory} is not locked, so nothing keeps a second server off it: {Reason}")]
    public static partial void StateDirectoryNotLocked(ILogger logger, string directory, string reason);
}
