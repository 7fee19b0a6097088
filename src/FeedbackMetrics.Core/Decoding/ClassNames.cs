namespace FeedbackMetrics.Core.Decoding;

/// <summary>Seldon's class naming (<c>CLASS_i</c>), with the first names cached so the hot path does not format strings.</summary>
public static class ClassNames
{
    private static readonly string[] Cached = [.. Enumerable.Range(0, 256).Select(i => $"CLASS_{i}")];

    public static string ForIndex(int index) => (uint)index < (uint)Cached.Length ? Cached[index] : $"CLASS_{index}";
}
