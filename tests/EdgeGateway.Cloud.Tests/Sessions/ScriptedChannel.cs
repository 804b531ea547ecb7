using System.Collections.Concurrent;
using EdgeGateway.Cloud.Broker;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Cloud.Tests.Sessions;

/// <summary>
/// The appliance's end of the channel for session tests: records what the cloud sends and answers each control
/// message with what <paramref name="reply"/> gives (null: no answer), delivered to <see cref="Service"/> at once.
/// </summary>
internal sealed class ScriptedChannel(Func<ControlMessage, ControlMessage?> reply) : IApplianceChannel
{
    private readonly ConcurrentQueue<ControlMessage> _sent = new();

    public SessionService? Service { get; set; }

    public IReadOnlyList<ControlMessage> Sent => [.. _sent];

    public Task<bool> SendControlAsync(string applianceId, ControlMessage message, CancellationToken cancellationToken)
    {
        _sent.Enqueue(message);
        if (reply(message) is { } answer)
        {
            Service?.OnControl(applianceId, answer);
        }

        return Task.FromResult(true);
    }

    public Task<bool> SendInputAsync(string applianceId, string sessionId, string senderUserId, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) => Task.FromResult(true);
}
