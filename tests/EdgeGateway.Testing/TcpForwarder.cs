using System.Net;
using System.Net.Sockets;

namespace EdgeGateway.Testing;

/// <summary>
/// A TCP forwarder on 127.0.0.1 (a free port) to a target that the test may change: what a device swapped behind the
/// same address looks like — a replaced HMI, or someone in the middle. Each accepted connection goes to the target set
/// at that moment, both directions copied until either side closes.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private volatile int _targetPort;

    public TcpForwarder(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accept = AcceptAsync();
    }

    /// <summary>The port to connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The port on 127.0.0.1 that new connections go to.</summary>
    public int TargetPort
    {
        get => _targetPort;
        set => _targetPort = value;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ForwardAsync(inbound, _targetPort);
        }
    }

    private async Task ForwardAsync(TcpClient inbound, int port)
    {
        using (inbound)
        using (var outbound = new TcpClient())
        {
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, port, _stop.Token);
                var a = inbound.GetStream();
                var b = outbound.GetStream();
                await Task.WhenAny(Copy(a, b), Copy(b, a));
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // the test is over, or one side went away: both close
            }
        }

        async Task Copy(Stream from, Stream to)
        {
            await from.CopyToAsync(to, _stop.Token);
            inbound.Client.Shutdown(SocketShutdown.Both);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        _stop.Dispose();
    }
}
