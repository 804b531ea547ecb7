using System.Text.Json.Serialization;
using EdgeGateway.Cloud.Sessions;

namespace EdgeGateway.Cloud.FanOut;

/// <summary>A text (JSON) message on a viewer's WebSocket: hello, viewers, ended.</summary>
public sealed record StreamEvent(
    string Type,
    string? Role = null,
    string? SessionId = null,
    UserRef? Controller = null,
    int? Count = null,
    string? Reason = null,
    string? Message = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamEvent))]
internal sealed partial class StreamEventJson : JsonSerializerContext;
