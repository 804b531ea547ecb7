using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeGateway.Bench.Harness;

/// <summary>One established TCP connection as the kernel counts it (tcp_info): payload bytes, TLS and protocol framing included.</summary>
public readonly record struct TcpConnection(int LocalPort, int PeerPort, long BytesSent, long BytesReceived);

/// <summary>
/// Per-connection byte counters from the kernel, via <c>ss -tinH</c> (iproute2). Counts TCP payload bytes: everything
/// the application wrote (TLS records, MQTT or SSH framing, data), not IP/TCP headers. Loopback only.
/// </summary>
public static partial class SocketStats
{
    /// <summary>Established connections whose peer (remote) port is <paramref name="peerPort"/>.</summary>
    public static IReadOnlyList<TcpConnection> ToPeerPort(int peerPort) => Query($"( dport = :{peerPort} )");

    /// <summary>The connection from local port <paramref name="localPort"/> to <paramref name="peerPort"/>, or null when gone.</summary>
    public static TcpConnection? Find(int localPort, int peerPort) =>
        Query($"( sport = :{localPort} and dport = :{peerPort} )").Cast<TcpConnection?>().FirstOrDefault();

    private static List<TcpConnection> Query(string filter)
    {
        var info = new ProcessStartInfo("ss") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-tinH", "state", "established", filter })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not run ss (iproute2).");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var result = new List<TcpConnection>();
        var lines = output.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var head = AddressLine().Match(lines[i]);
            if (!head.Success)
            {
                continue;
            }

            var details = i + 1 < lines.Length ? lines[i + 1] : string.Empty;
            result.Add(new TcpConnection(
                int.Parse(head.Groups["lport"].Value, CultureInfo.InvariantCulture),
                int.Parse(head.Groups["pport"].Value, CultureInfo.InvariantCulture),
                Counter(details, "bytes_sent"),
                Counter(details, "bytes_received")));
        }

        return result;
    }

    private static long Counter(string details, string name)
    {
        var at = details.IndexOf(name + ":", StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        var start = at + name.Length + 1;
        var end = start;
        while (end < details.Length && char.IsAsciiDigit(details[end]))
        {
            end++;
        }

        return long.Parse(details.AsSpan(start, end - start), CultureInfo.InvariantCulture);
    }

    // .NET's dual-mode sockets show up as [::ffff:127.0.0.1]:port.
    [GeneratedRegex(@"^\S+\s+\S+\s+(?:127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):(?<lport>\d+)\s+(?:127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):(?<pport>\d+)")]
    private static partial Regex AddressLine();
}
