using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Appliance.Sessions.Vnc;

/// <summary>
/// Trust on first use for VeNCrypt X.509 devices: the first certificate an endpoint shows is pinned (its SHA-256, in a
/// JSON file on the appliance's disk), and every later connection must show the same one. A device's VNC certificate is
/// usually self-signed, so a chain check would prove nothing; a changed certificate is what an attacker in the
/// middle — or a re-installed device — shows, and an administrator decides which by removing the entry.
/// </summary>
internal sealed class VncCertificatePins(string path)
{
    private readonly Lock _gate = new();

    /// <summary>The pin file.</summary>
    public string Path { get; } = path;

    /// <summary>The certificate's SHA-256 as upper-case hex (<see cref="CertificateFingerprints"/>, as RDP pins are written).</summary>
    public static string Fingerprint(X509Certificate certificate) => CertificateFingerprints.Of(certificate.GetRawCertData());

    /// <summary>
    /// Null when <paramref name="fingerprint"/> is the endpoint's pinned certificate or was just pinned (first use);
    /// otherwise the pinned fingerprint it differs from.
    /// </summary>
    /// <exception cref="IOException">The pin file cannot be read or written.</exception>
    public string? CheckOrPin(string endpointId, string fingerprint, out bool pinnedNow)
    {
        lock (_gate)
        {
            var pins = Load();
            if (pins.TryGetValue(endpointId, out var pinned))
            {
                pinnedNow = false;
                return string.Equals(pinned, fingerprint, StringComparison.OrdinalIgnoreCase) ? null : pinned;
            }

            pins[endpointId] = fingerprint;
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            // Written aside and moved over: a crash never leaves a half-written file that would forget every pin.
            var temporary = Path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(pins, PinsJson.Default.DictionaryStringString));
            File.Move(temporary, Path, overwrite: true);
            pinnedNow = true;
            return null;
        }
    }

    private Dictionary<string, string> Load()
    {
        if (!File.Exists(Path))
        {
            return new(StringComparer.Ordinal);
        }

        var pins = JsonSerializer.Deserialize(File.ReadAllText(Path), PinsJson.Default.DictionaryStringString);
        return pins is null ? new(StringComparer.Ordinal) : new(pins, StringComparer.Ordinal);
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class PinsJson : System.Text.Json.Serialization.JsonSerializerContext;
