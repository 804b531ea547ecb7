using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeGateway.Protocol.Control;

/// <summary>
/// A secret (device password, key, token). Its <see cref="ToString"/> prints <c>***</c>, so a secret that
/// reaches a log line, an exception message or a record's generated <c>ToString</c> stays hidden. Only
/// <see cref="Reveal"/> gives the value, and only the code that hands it to the device calls it.
/// </summary>
[JsonConverter(typeof(SecretJsonConverter))]
public sealed class Secret
{
    private readonly string _value;

    /// <summary>Wraps <paramref name="value"/>.</summary>
    public Secret(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary>True when the secret is the empty string.</summary>
    public bool IsEmpty => _value.Length == 0;

    /// <summary>The secret's value. Call it only where the value goes to the device.</summary>
    public string Reveal() => _value;

    /// <summary>Always <c>***</c>.</summary>
    public override string ToString() => "***";
}

/// <summary>Writes a <see cref="Secret"/> as its plain string: the wire carries it (over TLS) to the appliance.</summary>
public sealed class SecretJsonConverter : JsonConverter<Secret>
{
    /// <inheritdoc/>
    public override Secret? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? new Secret(reader.GetString()!) : throw new JsonException("A secret must be a string.");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, Secret value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.Reveal());
    }
}
