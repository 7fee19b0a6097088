using FeedbackMetrics.Server.Cli;

namespace FeedbackMetrics.Server.Hosting;

/// <summary>
/// Holds the sqlite state directory for this process's life: an OS lock on <see cref="FileName"/>, which holds the
/// process id. A second server on the same directory would restore the same file and then fight the first over it;
/// it stops at start instead, naming the holder. The kernel drops the lock when the process ends, however it ends.
/// </summary>
internal sealed class StateDirectoryLock : IDisposable
{
    public const string FileName = "feedback-metrics.lock";

    // A byte range lock (POSIX fcntl on Linux: per process, dropped when the process closes the file), placed past the
    // process id: Windows enforces range locks on reads, and the second process must still read who holds the directory.
    private const long LockedOffset = 4096;

    // What a range already locked by another process answers: EAGAIN on Linux, ERROR_LOCK_VIOLATION on Windows.
    private const int Eagain = 11;
    private const int LockViolation = unchecked((int)0x80070021);

    private readonly FileStream? _file;

    private StateDirectoryLock(FileStream? file, string? notHeldBecause)
    {
        _file = file;
        NotHeldBecause = notHeldBecause;
    }

    /// <summary>
    /// Why the directory is not locked, or null when it is: it could not be written at start (the store reports that
    /// and waits for it, e.g. a read-only volume being remounted), or its file system takes no locks.
    /// </summary>
    public string? NotHeldBecause { get; }

    /// <summary>Locks <paramref name="directory"/>, or throws a <see cref="StartupException"/> naming the process holding it.</summary>
    public static StateDirectoryLock Acquire(string directory)
    {
        var path = Path.Combine(directory, FileName);
        FileStream file;
        try
        {
            Directory.CreateDirectory(directory);

            // .NET has no range locks on macOS; there its FileShare.None is a whole-file lock (flock), which also
            // keeps the second process from reading the id.
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, OperatingSystem.IsMacOS() ? FileShare.None : FileShare.ReadWrite | FileShare.Delete);
        }
        catch (IOException) when (OperatingSystem.IsMacOS() && File.Exists(path))
        {
            throw Held(directory, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new StateDirectoryLock(null, $"it cannot be written now: {e.Message}");
        }

        if (!OperatingSystem.IsMacOS())
        {
            try
            {
                file.Lock(LockedOffset, 1);
            }
            catch (Exception e) when (e is UnauthorizedAccessException || e.HResult is Eagain or LockViolation)
            {
                var holder = ReadHolder(file);
                file.Dispose();
                throw Held(directory, holder);
            }
            catch (IOException e)
            {
                file.Dispose(); // e.g. NFS without a lock manager
                return new StateDirectoryLock(null, $"its file system takes no lock: {e.Message}");
            }
        }

        // Never deleted: a process that opened the old file could lock it while a third creates and locks a new one.
        file.SetLength(0);
        file.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
        file.Flush();
        return new StateDirectoryLock(file, null);
    }

    public void Dispose() => _file?.Dispose();

    private static StartupException Held(string directory, string? pid) => StartupException.Of(
        $"another server{(pid is null ? "" : $" (pid {pid})")} holds the state directory", directory, "stop it, or give this server its own --state_dir");

    private static string? ReadHolder(FileStream file)
    {
        try
        {
            var buffer = new byte[32];
            file.Position = 0;
            var text = System.Text.Encoding.ASCII.GetString(buffer, 0, file.Read(buffer)).Trim();
            return text.Length > 0 && text.All(char.IsAsciiDigit) ? text : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
