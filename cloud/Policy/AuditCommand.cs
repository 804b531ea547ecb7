using EdgeGateway.Cloud.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// <c>audit-verify [--Cloud:DataDirectory=DIR] [--expect=SEQ:HASH]</c>: walks the audit log's hash chain (<see cref="AuditLog.Verify"/>) in
/// the cloud's data folder, prints the result and exits 0 when intact, 1 when broken, 2 when there is nothing to check
/// (no database there, or bad arguments). Reads its settings as the service does (appsettings.json in the working
/// folder, environment variables such as <c>Cloud__DataDirectory</c>, then arguments), so it runs beside a running cloud
/// against the same folder. The check is itself audited (<c>audit.verify</c> by the local account) when the log's key
/// is there.
/// </summary>
internal static class AuditCommand
{
    public static int Run(string[] args)
    {
        CloudOptions options = new();
        (long, string)? anchor = null;
        try
        {
            var configuration = new ConfigurationBuilder()
                .SetBasePath(Directory.GetCurrentDirectory())
                .AddJsonFile("appsettings.json", optional: true)
                .AddEnvironmentVariables()
                .AddCommandLine(args)
                .Build();
            configuration.GetSection(CloudOptions.Section).Bind(options);
            if (configuration["expect"] is { } expect)
            {
                // --expect=SEQ:HASH, the last event a SIEM holds
                var parts = expect.Split(':');
                anchor = parts.Length == 2 && long.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var seq) && seq > 0 && parts[1].Length > 0
                    ? (seq, parts[1])
                    : throw new FormatException();
            }
        }
        catch (FormatException)
        {
            return Usage();
        }

        if (args.Any(a => a is "--help" or "-h" or "help"))
        {
            return Usage();
        }

        var databasePath = Path.GetFullPath(Path.Combine(options.DataDirectory, "cloud.db"));
        if (!File.Exists(databasePath))
        {
            Console.Error.WriteLine($"No cloud database at {databasePath}: give the cloud's data folder (--Cloud:DataDirectory=<folder>).");
            return 2;
        }

        var database = new CloudDatabase(Microsoft.Extensions.Options.Options.Create(options));
        var audit = new AuditLog(database, TimeProvider.System, NullLogger<AuditLog>.Instance);
        var result = audit.Verify(anchor);
        Console.WriteLine(result.Message);
        if (File.Exists(Path.Combine(options.DataDirectory, AuditLog.KeyFileName)))
        {
            // Never made here: a key created by a check would hide that the real one is gone.
            audit.Append(new AuditEvent(
                "audit.verify",
                "allowed",
                ActorName: $"{Environment.UserName} (command line)",
                Source: "local",
                Detail: result.Intact ? $"intact, {result.Events} events" : $"broken at event {result.FirstBrokenSeq}"));
        }

        return result.Intact ? 0 : 1;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: audit-verify [--Cloud:DataDirectory=<cloud data folder>] [--expect=<seq>:<hash>]");
        Console.Error.WriteLine("       --expect: an event from an exported copy (a SIEM's last one) that the log must still hold as it was");
        Console.Error.WriteLine("       exits 0 when the audit log is intact, 1 when it is broken, 2 when there is nothing to check");
        return 2;
    }
}
