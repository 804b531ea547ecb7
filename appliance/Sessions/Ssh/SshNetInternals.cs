using System.Runtime.CompilerServices;
using Renci.SshNet;
using Renci.SshNet.Messages;
using Renci.SshNet.Messages.Connection;

namespace EdgeGateway.Appliance.Sessions.Ssh;

/// <summary>
/// The two things SSH.NET 2026.0.0 does not expose and a liveness check needs: the connection's <see cref="Session"/>
/// (its message events are public, the property that holds it is not) and sending a global request that wants a
/// reply (RFC 4254 §4). Bound at compile time with <see cref="UnsafeAccessorAttribute"/> (no reflection, Native AOT
/// safe); SSH.NET's version is pinned in Directory.Packages.props and <c>SshNetInternalsTests</c> fails if an update
/// moves them.
/// </summary>
internal static class SshNetInternals
{
    /// <summary>OpenSSH's keep-alive request name: servers answer it with SSH_MSG_REQUEST_FAILURE, which is the point.</summary>
    public const string KeepAliveRequest = "keepalive@openssh.com";

    private static readonly byte[] KeepAliveRequestName = "keepalive@openssh.com"u8.ToArray();

    /// <summary>The connected client's session, or null when it is not connected.</summary>
    public static Session? SessionOf(BaseClient client) => GetSession(client) as Session;

    /// <summary>
    /// Sends <c>SSH_MSG_GLOBAL_REQUEST "keepalive@openssh.com"</c> with want-reply set, as OpenSSH's
    /// <c>ServerAliveInterval</c> does. The answer arrives as <see cref="Session.RequestFailureReceived"/> (or
    /// success). Throws what SSH.NET throws when the connection is gone.
    /// </summary>
    public static void SendKeepAlive(Session session) => SendMessage(session, NewGlobalRequest(KeepAliveRequestName, wantReply: true));

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Session")]
    [return: UnsafeAccessorType("Renci.SshNet.ISession, Renci.SshNet")]
    private static extern object? GetSession(BaseClient client);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "SendMessage")]
    private static extern void SendMessage(Session session, Message message);

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    private static extern GlobalRequestMessage NewGlobalRequest(byte[] requestName, bool wantReply);
}
