namespace FeedbackMetrics.Server.Options;

/// <summary>Administrative endpoints: enabled only when a token file is configured.</summary>
public sealed class AdminOptions
{
    public const string Section = "FeedbackMetrics:Admin";

    public string? TokenFile { get; set; }

    /// <summary>No token file, or one that can be read and holds a token: checked at start, not at the first DELETE.</summary>
    public static bool TokenFileReadable(AdminOptions options)
    {
        if (options.TokenFile is not { Length: > 0 } file)
        {
            return true;
        }

        try
        {
            return File.ReadAllText(file).Trim().Length > 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
