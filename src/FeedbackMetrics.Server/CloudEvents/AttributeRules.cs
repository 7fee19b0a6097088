using System.Globalization;
using System.Text;
using FeedbackMetrics.Server.Problems;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>
/// The CloudEvents 1.0 rules for attribute names and values, checked on the text as sent: names of lower-case
/// letters and digits, <c>source</c> a URI-reference (RFC 3986, which allows an empty host as in <c>http://:8000/</c>),
/// <c>time</c> an RFC 3339 timestamp (any number of fraction digits: Go writes nanoseconds).
/// </summary>
internal static class AttributeRules
{
    public static bool IsValidName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is not (>= 'a' and <= 'z') and not (>= '0' and <= '9'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when the text is an RFC 3986 URI-reference: only its characters, well-formed percent-encoding, one fragment at most, and a valid scheme if it has one.</summary>
    public static bool IsUriReference(string text)
    {
        var fragments = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
                {
                    return false;
                }

                i += 2;
            }
            else if (c == '#')
            {
                fragments++;
            }
            else if (!char.IsAsciiLetterOrDigit(c) && "-._~:/?[]@!$&'()*+,;=".IndexOf(c, StringComparison.Ordinal) < 0)
            {
                return false;
            }
        }

        if (fragments > 1)
        {
            return false;
        }

        // A colon before any '/', '?' or '#' ends a scheme, which must be ALPHA *(ALPHA / DIGIT / "+" / "-" / ".").
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var delimiter = text.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (delimiter >= 0 && delimiter < colon))
        {
            return true;
        }

        if (colon == 0 || !char.IsAsciiLetter(text[0]))
        {
            return false;
        }

        for (var i = 1; i < colon; i++)
        {
            if (!char.IsAsciiLetterOrDigit(text[i]) && text[i] is not ('+' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses an RFC 3339 timestamp; fraction digits past the seventh (100 ns) are dropped.</summary>
    public static bool TryParseTime(string text, out DateTimeOffset time)
    {
        time = default;
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || text[10] is not ('T' or 't') || text[13] != ':' || text[16] != ':')
        {
            return false;
        }

        var end = 19;
        if (text[end] == '.')
        {
            end++;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            if (end == 20)
            {
                return false;
            }
        }

        var zone = text[end..];
        if (zone is not ("Z" or "z") && !(zone.Length == 6 && zone[0] is '+' or '-' && zone[3] == ':'))
        {
            return false;
        }

        var fraction = end > 20 ? text[19..Math.Min(end, 27)] : "";
        var normalised = $"{text[..10]}T{text[11..19]}{fraction}{(zone is "z" ? "Z" : zone)}";
        return DateTimeOffset.TryParseExact(
            normalised,
            ["yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"],
            CultureInfo.InvariantCulture,
            DateTimeStyles.None,
            out time);
    }

    /// <summary>
    /// Decodes a binary-mode header value (CloudEvents HTTP binding 3.1.3.2: percent-encoded UTF-8). A '%' that does not
    /// start a valid escape is kept as it is: Go's SDK (the Seldon executor, the KServe agent) writes values unencoded,
    /// so "100%" must not cost an event.
    /// </summary>
    public static string DecodeHeaderValue(string header, string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%' && i + 2 < value.Length && byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
                continue;
            }

            bytes.Add((byte)c);
        }

        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        return System.Text.Unicode.Utf8.IsValid(span)
            ? Encoding.UTF8.GetString(span)
            : throw Bad($"Header {header} is not validly percent-encoded: the bytes are not UTF-8.");
    }

    public static RequestRejectedException Bad(string detail) => new(400, "Invalid CloudEvent", detail);
}
