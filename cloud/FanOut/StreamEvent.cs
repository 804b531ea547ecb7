using System.Text.Json.Serialization;
using EdgeGateway.Cloud.Sessions;

namespace EdgeGateway.Cloud.FanOut;

/// <summary>
/// A text (JSON) message on a viewer's WebSocket: hello, viewers, ended, and appliance (<see cref="State"/>
/// "offline" with the seconds the session still waits for it, or "online").
/// </summary>
public sealed record StreamEvent(
    string Type,
    string? Role = null,
    string? SessionId = null,
    UserRef? Controller = null,
    int? Count = null,
    string? Reason = null,
    string? Message = null,
    string? State = null,
    int? GraceSeconds = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamEvent))]
internal sealed partial class StreamEventJson : JsonSerializerContext;
