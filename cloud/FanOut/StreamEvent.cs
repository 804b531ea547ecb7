using System.Text.Json.Serialization;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Cloud.FanOut;

/// <summary>
/// A text (JSON) message on a viewer's WebSocket: <c>hello</c> (role, controller, <see cref="MaxPaste"/> — the largest
/// paste the cloud takes, in bytes —, connection details, whether the device responds), <c>viewers</c> (count),
/// <c>device</c> (responding or not), <c>appliance</c> (<see cref="State"/> "offline" with the seconds the session
/// still waits for it, or "online"), <c>notice</c> (a sentence for the Controller's page; <see cref="Reason"/> a code
/// such as <c>paste-too-large</c>, or none for refused input), <c>ended</c> (reason, message); for joint sessions
/// <c>participants</c> (everyone in the session with their role), <c>control</c> (this connection's <see cref="Role"/>:
/// controller, co-controller or viewer; the Controller, co-controllers, whether input is paused),
/// <c>control-request</c> (to the Controller: <see cref="From"/> asks for control), <c>control-declined</c> and
/// <c>refused</c> (the connection may not watch; it closes with 4403). <c>hello</c> also names <see cref="You"/>, the endpoint's
/// <see cref="Protocol"/> (<c>ssh</c>, <c>vnc</c>) and its <see cref="Clipboard"/> policy (<c>off</c>,
/// <c>device-to-browser</c>, <c>both</c>).
/// </summary>
public sealed record StreamEvent(
    string Type,
    string? Role = null,
    string? SessionId = null,
    UserRef? Controller = null,
    int? Count = null,
    string? Reason = null,
    string? Message = null,
    int? MaxPaste = null,
    bool? Responding = null,
    SessionDetails? Details = null,
    string? State = null,
    int? GraceSeconds = null,
    UserRef? You = null,
    IReadOnlyList<ParticipantView>? Participants = null,
    string? Code = null,
    bool? InputPaused = null,
    IReadOnlyList<string>? CoControllers = null,
    UserRef? From = null,
    DateTimeOffset? EndsAt = null,
    bool? JointSession = null,
    bool? SharedControl = null,
    string? Protocol = null,
    string? Clipboard = null,
    string? Status = null,
    DateTimeOffset? InSessionSince = null,
    bool? Connected = null,
    DateTimeOffset? ExpiresAt = null,
    string? Name = null,
    string? OwnerId = null,
    string? UserId = null,
    string? Via = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamEvent))]
[JsonSerializable(typeof(SessionDetails))]
internal sealed partial class StreamEventJson : JsonSerializerContext;
