namespace EdgeGateway.Cloud.Pairing;

/// <summary>
/// <c>enroll-appliance --id ID --out DIR [--data DATA]</c>: issues an appliance certificate from the cloud's
/// CA and writes it, its key and the CA certificate to DIR. Stands in for the pairing flow until it exists.
/// </summary>
internal static class EnrollCommand
{
    public static int Run(string[] args)
    {
        string? id = null, output = null, data = "data";
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--id": id = args[i + 1]; break;
                case "--out": output = args[i + 1]; break;
                case "--data": data = args[i + 1]; break;
                default:
                    break;
            }
        }

        if (id is null || output is null || !Protocol.Topics.TopicMap.IsValidApplianceId(id))
        {
            Console.Error.WriteLine("usage: enroll-appliance --id <appliance-id> --out <folder> [--data <cloud data folder>]");
            Console.Error.WriteLine("       the id is 1-64 lower-case letters, digits or '-'");
            return 2;
        }

        using var authority = CertificateAuthority.LoadOrCreate(Path.Combine(data, "pki"));
        Directory.CreateDirectory(output);
        var (cert, key) = authority.IssueAppliance(id, TimeSpan.FromDays(397));
        File.WriteAllText(Path.Combine(output, "appliance.pem"), cert);
        CertificateAuthority.WritePrivate(Path.Combine(output, "appliance.key"), key);
        File.Copy(authority.CertificatePath, Path.Combine(output, "ca.pem"), overwrite: true);
        Console.WriteLine($"Enrolled appliance '{id}': {Path.GetFullPath(output)}/appliance.pem, appliance.key, ca.pem");
        return 0;
    }
}
