using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeGateway.Bench.Harness;

/// <summary>A process's CPU time and memory, read from /proc (Linux).</summary>
public readonly record struct ProcSample(double CpuSeconds, long RssBytes, long PeakRssBytes, int Threads, long Timestamp);

/// <summary>Reads /proc/PID/stat and /proc/PID/status: cheap enough to sample around every measurement window.</summary>
public static partial class ProcStats
{
    private static readonly double TicksPerSecond = SysConf(2 /* _SC_CLK_TCK */) is > 0 and var t ? t : 100;

    /// <summary>CPU time (user + system, all threads), resident set size, peak RSS and thread count of a process.</summary>
    public static ProcSample Read(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        long rss = 0, hwm = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return new ProcSample((utime + stime) / TicksPerSecond, rss, hwm, threads, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    /// <summary>Resident memory split (from /proc/PID/smaps_rollup): anonymous (GC heap, JIT code, stacks, native heaps) and file-backed (mapped runtime and assemblies), bytes.</summary>
    public static (long Anonymous, long FileBacked) Residency(int pid)
    {
        long rss = 0, anonymous = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
        {
            if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                anonymous = Kilobytes(line) * 1024;
            }
        }

        return (anonymous, rss - anonymous);
    }

    /// <summary>
    /// Resident bytes per mapped file (anonymous mappings under their kind, e.g. "[heap]" or "[anon]"), largest
    /// first: what an RSS figure is made of.
    /// </summary>
    public static IReadOnlyList<(string Mapping, long Bytes)> ResidencyByMapping(int pid)
    {
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        var current = "[anon]";
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.Contains('-', StringComparison.Ordinal))
            {
                // "start-end perms offset dev inode   path": the path is the sixth field, if any.
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                current = fields.Length == 6 ? fields[5].Trim() : "[anon]";
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                totals[current] = totals.GetValueOrDefault(current) + (Kilobytes(line) * 1024);
            }
        }

        return [.. totals.Where(t => t.Value > 0).Select(t => (t.Key, t.Value)).OrderByDescending(t => t.Value)];
    }

    /// <summary>
    /// The whole machine's CPU time (/proc/stat, all cores): busy (everything but idle and iowait) and total, in
    /// seconds. Two samples give how saturated the box was over a window, whoever used it.
    /// </summary>
    public static (double Busy, double Total) Machine()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double total = 0, idle = 0;
        for (var i = 1; i < Math.Min(fields.Length, 9); i++)
        {
            var ticks = long.Parse(fields[i], CultureInfo.InvariantCulture);
            total += ticks;
            idle += i is 4 or 5 ? ticks : 0; // idle, iowait
        }

        return ((total - idle) / TicksPerSecond, total / TicksPerSecond);
    }

    /// <summary>This process.</summary>
    public static ProcSample Self() => Read(Environment.ProcessId);

    /// <summary>Open file descriptors of this process and its limit (for the scale scenario's report).</summary>
    public static (int Open, long Limit) FileDescriptors()
    {
        var open = Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
        var limit = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal))
            ?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        return (open, long.TryParse(limit, CultureInfo.InvariantCulture, out var l) ? l : -1);
    }

    /// <summary>Sends SIGTERM (a graceful stop, as systemd does); <see cref="System.Diagnostics.Process.Kill()"/> sends SIGKILL.</summary>
    public static void Terminate(int pid) => Signal(pid, 15);

    /// <summary>Sends a signal to a process this harness started.</summary>
    public static void Signal(int pid, int signal) => _ = Kill(pid, signal);

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
