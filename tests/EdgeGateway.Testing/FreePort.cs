using System.Net;
using System.Net.Sockets;

namespace EdgeGateway.Testing;

/// <summary>Free TCP ports on the loopback interface, for servers that cannot bind port 0 themselves.</summary>
public static class FreePort
{
    /// <summary>
    /// Binds 127.0.0.1:0, reads the port the kernel chose and releases it. Another process can take the port
    /// before the caller binds it, so a caller that fails to bind should retry with a new port.
    /// </summary>
    public static int Get()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
