using System.Text.Json.Serialization;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Control;

/// <summary>
/// A control message between appliance and cloud: small, JSON, versioned by <see cref="V"/> and typed by a
/// <c>"type"</c> discriminator. Stream frames never travel as control messages.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(Hello), "hello")]
[JsonDerivedType(typeof(StartSession), "start")]
[JsonDerivedType(typeof(SessionStarted), "started")]
[JsonDerivedType(typeof(SessionEnded), "ended")]
[JsonDerivedType(typeof(StopSession), "stop")]
[JsonDerivedType(typeof(KeyframeRequest), "keyframe")]
[JsonDerivedType(typeof(InputAck), "input-ack")]
public abstract record ControlMessage
{
    /// <summary>The control-message version this build writes.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Message version.</summary>
    [JsonPropertyName("v")]
    public int V { get; init; } = CurrentVersion;

    /// <summary>Checks the fields a receiver relies on; returns a reason when the message is unusable.</summary>
    public abstract string? Validate();

    /// <summary>Shared check for messages that name a session.</summary>
    protected static string? CheckSession(string? sessionId) =>
        sessionId is not null && Topics.TopicMap.IsValidSessionId(sessionId) ? null : "invalid session id";
}

/// <summary>An endpoint (device) the appliance can reach, as it announces it to the cloud.</summary>
/// <param name="Id">Stable id, unique on the appliance: same rules as an appliance id.</param>
/// <param name="Name">Display name.</param>
/// <param name="Protocol">"ssh" for now; "vnc" and "rdp" later.</param>
/// <param name="Host">Address on the plant network.</param>
/// <param name="Port">TCP port.</param>
public sealed record EndpointInfo(string Id, string Name, string Protocol, string Host, int Port);

/// <summary>Appliance → cloud, on every (re)connect: who it is and which endpoints it serves.</summary>
public sealed record Hello(string SoftwareVersion, IReadOnlyList<EndpointInfo> Endpoints, IReadOnlyList<string> ActiveSessions) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate()
    {
        if (Endpoints is null || Endpoints.Count > 1000 || ActiveSessions is null || ActiveSessions.Count > 1000)
        {
            return "missing or oversized endpoint list";
        }

        foreach (var s in ActiveSessions)
        {
            if (CheckSession(s) is { } error)
            {
                return error;
            }
        }

        foreach (var e in Endpoints)
        {
            if (e is null || !Topics.TopicMap.IsValidApplianceId(e.Id) || string.IsNullOrEmpty(e.Name) || e.Port is < 1 or > 65535)
            {
                return "invalid endpoint";
            }
        }

        return null;
    }
}

/// <summary>Cloud → appliance: open a session to an endpoint with the Controller's credentials.</summary>
/// <param name="SessionId">New session id.</param>
/// <param name="EndpointId">Endpoint to connect to; must be one the appliance announced.</param>
/// <param name="ControllerId">The user who controls the session; the only one whose input the appliance accepts.</param>
/// <param name="Username">Device user name.</param>
/// <param name="Password">Device password. Lives in memory only for the connect call.</param>
/// <param name="Columns">Initial terminal width.</param>
/// <param name="Rows">Initial terminal height.</param>
public sealed record StartSession(string SessionId, string EndpointId, string ControllerId, string Username, Secret Password, int Columns, int Rows) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() =>
        CheckSession(SessionId)
        ?? (EndpointId is not null && Topics.TopicMap.IsValidApplianceId(EndpointId) ? null : "invalid endpoint id")
        ?? (string.IsNullOrEmpty(ControllerId) ? "missing controller" : null)
        ?? (Username is null || Username.Length is 0 or > 256 ? "invalid user name" : null)
        ?? (Password is null ? "missing password" : null)
        ?? (new TerminalSize(Columns, Rows).IsValid ? null : "invalid terminal size");
}

/// <summary>Appliance → cloud: the device accepted the connection; frames follow.</summary>
public sealed record SessionStarted(string SessionId) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() => CheckSession(SessionId);
}

/// <summary>Appliance → cloud: a session ended, or failed to start.</summary>
public sealed record SessionEnded(string SessionId, EndReason Reason, string Message) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() => CheckSession(SessionId) ?? (Enum.IsDefined(Reason) ? null : "unknown reason");
}

/// <summary>Cloud → appliance: end a session.</summary>
public sealed record StopSession(string SessionId, EndReason Reason, string Message) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() => CheckSession(SessionId) ?? (Enum.IsDefined(Reason) ? null : "unknown reason");
}

/// <summary>Cloud → appliance: send a keyframe of the session now (a late joiner has nothing to render from).</summary>
public sealed record KeyframeRequest(string SessionId) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() => CheckSession(SessionId);
}

/// <summary>
/// Appliance → cloud: the appliance consumed <paramref name="Units"/> more credit units of the session's input
/// (<see cref="Stream.InputFlow"/>): the frames they paid for were written to the device or refused. Incremental,
/// so a lost ack costs credit only until the next <see cref="Hello"/>, when the cloud starts the window afresh.
/// </summary>
/// <param name="SessionId">The session whose input was consumed.</param>
/// <param name="Units">Credit units returned, 1 to <see cref="Stream.InputFlow.Window"/> × 64.</param>
public sealed record InputAck(string SessionId, long Units) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() =>
        CheckSession(SessionId) ?? (Units is > 0 and <= (long)Stream.InputFlow.Window * 64 ? null : "invalid unit count");
}
