using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeGateway.Protocol.Control;

/// <summary>Encodes and decodes <see cref="ControlMessage"/>s (UTF-8 JSON, source-generated, no reflection).</summary>
public static class ControlCodec
{
    /// <summary>Largest control message accepted: control messages are small by design.</summary>
    public const int MaxMessageBytes = 64 * 1024;

    /// <summary>Encodes a message to UTF-8 JSON.</summary>
    public static byte[] Encode(ControlMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(message, ControlJsonContext.Default.ControlMessage);

    /// <summary>
    /// Decodes and validates a message. Never throws for bad input: returns false with a reason for an
    /// oversized, malformed, unknown, newer-version or invalid message.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> utf8, out ControlMessage? message, out string? error)
    {
        message = null;
        if (utf8.Length > MaxMessageBytes)
        {
            error = $"control message of {utf8.Length} bytes exceeds the {MaxMessageBytes}-byte limit";
            return false;
        }

        try
        {
            message = JsonSerializer.Deserialize(utf8, ControlJsonContext.Default.ControlMessage);
        }
        catch (JsonException ex)
        {
            error = "malformed control message: " + ex.Message;
            return false;
        }
        catch (NotSupportedException ex)
        {
            error = "unsupported control message: " + ex.Message;
            return false;
        }

        if (message is null)
        {
            error = "empty control message";
            return false;
        }

        if (message.V != ControlMessage.CurrentVersion)
        {
            error = $"control message version {message.V} is not supported (this build speaks {ControlMessage.CurrentVersion})";
            message = null;
            return false;
        }

        error = message.Validate();
        if (error is not null)
        {
            error = "invalid control message: " + error;
            message = null;
            return false;
        }

        return true;
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    AllowOutOfOrderMetadataProperties = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    MaxDepth = 8)]
[JsonSerializable(typeof(ControlMessage))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
