using System.Diagnostics;

namespace FeedbackMetrics.Tests.Support;

/// <summary>Finds the external programs some tests need, failing with a clear message naming what is missing (never a silent skip).</summary>
public static class Binaries
{
    public static void RequireRootAndMount()
    {
        if (Environment.UserName != "root")
        {
            Assert.Fail("This test mounts a tmpfs to make the state directory read-only for real; run it as root (the test command does).");
        }

        if (Run("mount", "--version").ExitCode != 0)
        {
            Assert.Fail("This test needs the mount command (Debian package mount).");
        }
    }

    public static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Tools.RepoRoot };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
