namespace FeedbackMetrics.Server.Cli;

/// <summary>A heading of --help and of docs/configuration.md; the options under it are those of <see cref="OptionTable"/> that name it.</summary>
internal sealed record OptionTopic(string Title, string Summary)
{
    public static readonly OptionTopic Seldon = new("Seldon's arguments", "The arguments of Seldon's metrics server, with the same names and meaning, so a Seldon manifest runs unchanged.");
    public static readonly OptionTopic Server = new("Listening and logs", "Where the server listens and how it logs.");
    public static readonly OptionTopic Decoding = new("Ingest and decoding", "Which events are feedback and how their payloads become classes.");
    public static readonly OptionTopic Join = new("Join", "Logged model responses, kept until the truth with the same request id arrives.");
    public static readonly OptionTopic Windows = new("Windows and statistics", "Figures over recent rows or recent time, besides the cumulative ones.");
    public static readonly OptionTopic Segments = new("Segments", "Figures per value of an event attribute (a region, a tenant), and the gaps between values.");
    public static readonly OptionTopic Alerts = new("Alerts", "Rules judged on the figures, and where their transitions are reported.");
    public static readonly OptionTopic State = new("State and storage", "Where counts are kept and how redeliveries are recognised.");
    public static readonly OptionTopic Reply = new("Reply", "Posting the metric CloudEvents to --reply_url.");
    public static readonly OptionTopic Exposition = new("Exposition and web view", "How figures are named and shown in Prometheus, the JSON view and the web view.");
    public static readonly OptionTopic Security = new("Security", "Who may send events, read figures and reset them.");
    public static readonly OptionTopic Limits = new("Limits", "Bounds on memory, cardinality and load.");
}
