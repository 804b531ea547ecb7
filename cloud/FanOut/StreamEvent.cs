using System.Text.Json.Serialization;
using EdgeGateway.Cloud.Sessions;

namespace EdgeGateway.Cloud.FanOut;

/// <summary>
/// A text (JSON) message on a viewer's WebSocket: hello (with <see cref="MaxPaste"/>, the largest paste the cloud
/// takes, in bytes), viewers, ended, notice (a sentence for the page, <see cref="Reason"/> a code such as
/// <c>paste-too-large</c>).
/// </summary>
public sealed record StreamEvent(
    string Type,
    string? Role = null,
    string? SessionId = null,
    UserRef? Controller = null,
    int? Count = null,
    string? Reason = null,
    string? Message = null,
    int? MaxPaste = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamEvent))]
internal sealed partial class StreamEventJson : JsonSerializerContext;
