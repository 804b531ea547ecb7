using System.Globalization;

namespace EdgeGateway.Appliance.Pairing;

/// <summary>
/// <c>edgegateway-appliance pair --status [settings]</c>: what the state directory says — paired (id, certificate,
/// expiry, renewal), waiting with a code, or not paired. Reads the same settings as the service. Exit code 0 when
/// paired, 1 when not (yet).
/// </summary>
internal static class PairCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        if (args is not ["--status", ..])
        {
            output.WriteLine("usage: edgegateway-appliance pair --status [--Appliance:StateDirectory=<folder>]");
            return 2;
        }

        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine(args[1..])
            .Build();
        var directory = configuration["Appliance:StateDirectory"] ?? "/var/lib/edgegateway";
        var store = new IdentityStore(directory);
        if (!string.IsNullOrWhiteSpace(configuration["Appliance:Cloud:CertificatePath"]))
        {
            output.WriteLine($"Enrolled: appliance {configuration["Appliance:Id"]} with the certificate {configuration["Appliance:Cloud:CertificatePath"]} (no pairing).");
            return 0;
        }

        if (store.ReadIdentity() is { } identity)
        {
            var (_, notAfter, serial) = identity.Validity();
            output.WriteLine($"Paired: appliance {identity.ApplianceId}");
            output.WriteLine($"  certificate {serial}, valid until {Utc(notAfter)}, renewed after {Utc(identity.RenewAfter())}");
            output.WriteLine($"  broker {identity.MqttHost}:{identity.MqttPort}");
            return 0;
        }

        var pending = store.LoadPending();
        if (pending is null)
        {
            output.WriteLine($"Not paired. The service asks the cloud for a pairing code when it runs (state: {store.Directory}).");
            return 1;
        }

        if (pending.Status != "waiting" || pending.ExpiresAt <= DateTimeOffset.UtcNow)
        {
            output.WriteLine($"Not paired: the code {pending.UserCode} {(pending.Status == "denied" ? "was denied" : "has expired")}; the service asks for a new one.");
            return 1;
        }

        output.WriteLine($"Waiting for approval. Pairing code: {pending.UserCode}");
        output.WriteLine($"  enter it in the cloud under Add appliance: {pending.VerificationUri}");
        output.WriteLine($"  the code works until {Utc(pending.ExpiresAt)}");
        output.WriteLine($"  key SHA-256 {pending.KeySha256}");
        return 1;
    }

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
