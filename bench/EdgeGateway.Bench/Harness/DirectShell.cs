using System.Diagnostics;
using EdgeGateway.Testing;
using Renci.SshNet;

namespace EdgeGateway.Bench.Harness;

/// <summary>
/// The baseline: SSH.NET straight to the same sshd with a PTY shell of the same type, size and buffer as the
/// appliance's, read the same way (a dedicated thread blocking in <see cref="ShellStream.Read(byte[], int, int)"/>).
/// </summary>
public sealed class DirectShell : IDisposable
{
    private readonly SshClient _client;
    private readonly ShellStream _shell;
    private readonly Thread _reader;
    private readonly Action<ReadOnlyMemory<byte>, long> _observer;
    private long _bytes;

    private DirectShell(SshClient client, ShellStream shell, Action<ReadOnlyMemory<byte>, long> observer)
    {
        _client = client;
        _shell = shell;
        _observer = observer;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "direct-ssh" };
        _reader.Start();
    }

    /// <summary>Terminal bytes received.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    /// <summary>Connects and opens the shell; returns with the local TCP port (to find the socket's counters).</summary>
    public static (DirectShell Shell, int LocalPort) Connect(SshServer device, int columns, int rows, Action<ReadOnlyMemory<byte>, long> observer)
    {
        ArgumentNullException.ThrowIfNull(device);
        var before = SocketStats.ToPeerPort(device.Port).Select(c => c.LocalPort).ToHashSet();
        var client = new SshClient(device.Host, device.Port, device.UserName, device.Password);
        client.HostKeyReceived += (_, e) => e.CanTrust = e.FingerPrintSHA256.TrimEnd('=') == device.HostKeyFingerprint;
        client.Connect();
        var shell = client.CreateShellStream("xterm-256color", (uint)columns, (uint)rows, 0, 0, 64 * 1024);
        var after = SocketStats.ToPeerPort(device.Port).Select(c => c.LocalPort).Where(p => !before.Contains(p)).ToList();
        return (new DirectShell(client, shell, observer), after.Count == 1 ? after[0] : -1);
    }

    public void Send(ReadOnlySpan<byte> input)
    {
        _shell.Write(input);
        _shell.Flush();
    }

    private void ReadLoop()
    {
        var buffer = new byte[32 * 1024];
        try
        {
            while (true)
            {
                var n = _shell.Read(buffer, 0, buffer.Length);
                if (n == 0)
                {
                    break;
                }

                var at = Stopwatch.GetTimestamp();
                Interlocked.Add(ref _bytes, n);
                _observer(buffer.AsMemory(0, n), at);
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException or Renci.SshNet.Common.SshConnectionException)
        {
            // Closed.
        }
    }

    public void Dispose()
    {
        _shell.Dispose();
        _client.Disconnect();
        _client.Dispose();
        _reader.Join(TimeSpan.FromSeconds(5));
    }
}
