using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Appliance.Pairing;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeGateway.EndToEnd.Tests.Pairing;

/// <summary>
/// An identity's life after pairing: renewal while a device session runs, and power loss (kill -9) at random points of
/// pairing never leaving the appliance half paired.
/// </summary>
[Trait("Area", "Pairing")]
public sealed class PairingLifecycleTests(SshServerFixture device, ITestOutputHelper output) : IClassFixture<SshServerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_appliance_renews_its_certificate_before_expiry_while_an_SSH_session_runs_and_the_session_survives()
    {
        // A 30 s certificate: renewed after 20 s (two thirds), no clock-skew allowance so the lifetime is exactly that; the
        // next renewal (40 s) comes after the test is done.
        await using var stack = await PairingStack.StartAsync(device.Server, cloudOverrides: new Dictionary<string, string?>
        {
            ["Cloud:Pairing:CertificateLifetime"] = "00:00:30",
            ["Cloud:Pairing:ClockSkew"] = "00:00:00",
        });
        using var engineer = await stack.LoginAsync();
        var pending = await stack.WaitForCodeAsync(Timeout);
        await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, pending.UserCode), HttpStatusCode.OK);
        await stack.WaitOnlineAsync(PairingStack.ApplianceName, Timeout);
        var first = stack.Identity()!.Validity();

        var (technician, cookies) = await stack.LoginTechnicianAsync();
        using var http = technician;
        var session = await CloudClient.StartSessionAsync(http, device.Server, PairingStack.ApplianceName, EdgeGatewayStack.EndpointId);
        await using var stream = await stack.Client.OpenStreamAsync(cookies, session.Id);
        await stream.SendInputAsync("echo before-$((6*7))\r");
        await stream.WaitForOutputAsync("before-42");

        // Renewed: a new certificate (new serial, new key) in the identity, and the appliance back with it.
        var registry = stack.Cloud.Services.GetRequiredService<ApplianceRegistry>();
        var announced = registry.Announcements(PairingStack.ApplianceName);
        try
        {
            await Conditions.WaitUntilAsync(() => stack.Identity()!.Validity().Serial != first.Serial, Timeout, "the certificate to be renewed");
        }
        catch (Xunit.Sdk.XunitException)
        {
            output.WriteLine(string.Join('\n', stack.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Information).TakeLast(60)));
            throw;
        }
        await Conditions.WaitUntilAsync(() => registry.Announcements(PairingStack.ApplianceName) > announced && registry.IsOnline(PairingStack.ApplianceName), Timeout, "the appliance to reconnect with its new certificate");
        var second = stack.Identity()!.Validity();
        Assert.True(second.NotAfter > first.NotAfter);
        var pairing = stack.Cloud.Services.GetRequiredService<PairingService>();
        Assert.Equal(CertificateStanding.Superseded, pairing.Standing(PairingStack.ApplianceName, first.Serial));
        Assert.Equal(CertificateStanding.Good, pairing.Standing(PairingStack.ApplianceName, second.Serial));
        output.WriteLine($"renewed {first.Serial} (until {first.NotAfter:HH:mm:ss}) → {second.Serial} (until {second.NotAfter:HH:mm:ss})");

        // The same shell, still there: its variable is set, and a new line is answered.
        await stream.SendInputAsync("echo after-$((6*8))\r");
        try
        {
            await stream.WaitForOutputAsync("after-48");
        }
        catch (Xunit.Sdk.XunitException)
        {
            output.WriteLine(string.Join('\n', stack.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Information).TakeLast(60)));
            throw;
        }
        Assert.False(stream.Closed);
        Assert.DoesNotContain(stream.EventsOfType("end"), _ => true);
        Assert.Empty(stack.Logs.Errors());
    }

    [Fact]
    public async Task Kill_9_at_random_points_of_pairing_leaves_the_appliance_unpaired_or_fully_paired_never_half()
    {
        const int Rounds = 20;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        await using var stack = await PairingStack.StartAsync(startAppliance: false, cloudOverrides: new Dictionary<string, string?> { ["Cloud:Pairing:PollInterval"] = "00:00:01" });
        using var engineer = await stack.LoginAsync();
        var outcomes = new Dictionary<string, int>();
        var approved = new HashSet<string>(StringComparer.Ordinal); // looking up a spent code would count as a wrong guess
        for (var round = 0; round < Rounds; round++)
        {
            stack.ResetState();
            var name = $"kill-{round}";
            await stack.StartApplianceProcessAsync();
            string when;
            if (round % 2 == 0)
            {
                // Before approval: key creation, the request, storing the pending pairing, the first polls.
                var delay = random.Next(0, 1500);
                await Task.Delay(delay); // a random point in time is what this test is about
                when = "before approval";
            }
            else
            {
                // Around completion: the poll that receives the certificate, storing the identity, removing the pairing files, connecting.
                var pending = await WaitForCodeAsync(stack);
                await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, pending.UserCode, name: name), HttpStatusCode.OK);
                approved.Add(pending.UserCode);
                var delay = random.Next(0, 2500);
                await Task.Delay(delay); // a random point in time is what this test is about
                when = "after approval";
            }

            await stack.KillApplianceProcessAsync();
            var state = Classify(stack.StateDirectory);
            var outcome = $"{when}: {state}";
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;

            // Started again, it completes: with its identity, by resuming its pending code, or with a new code.
            await stack.StartApplianceProcessAsync();
            var id = await CompleteAsync(stack, engineer, name, approved);
            await stack.WaitOnlineAsync(id, Timeout);
            await stack.KillApplianceProcessAsync();
        }

        foreach (var (outcome, count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{count,3} × {outcome}");
        }

        Assert.Equal(Rounds, outcomes.Values.Sum());
        Assert.DoesNotContain(outcomes.Keys, o => o.Contains("half", StringComparison.Ordinal));
    }

    /// <summary>"paired" (a whole identity whose certificate is for its stored key), "unpaired …", or "half: why".</summary>
    private static string Classify(string directory)
    {
        var store = new IdentityStore(directory);
        try
        {
            var identity = store.LoadIdentity();
            if (identity is null)
            {
                var pending = store.LoadPending();
                var key = File.Exists(Path.Combine(directory, IdentityStore.KeyFile));
                return pending is null ? (key ? "unpaired (key only)" : "unpaired (nothing)") : "unpaired (code pending)";
            }

            using var certificate = identity.LoadCertificate();
            using var key2 = certificate.GetECDsaPrivateKey();
            var signature = key2!.SignData("x"u8, HashAlgorithmName.SHA256);
            using var pub = certificate.GetECDsaPublicKey();
            return pub!.VerifyData("x"u8, signature, HashAlgorithmName.SHA256) && certificate.Subject == "CN=" + identity.ApplianceId ? "paired" : "half: key and certificate differ";
        }
        catch (Exception ex) when (ex is InvalidDataException or CryptographicException or IOException or ArgumentException)
        {
            return "half: " + ex.Message;
        }
    }

    private static async Task<PendingPairing> WaitForCodeAsync(PairingStack stack)
    {
        var store = new IdentityStore(stack.StateDirectory);
        PendingPairing? pending = null;
        await Conditions.WaitUntilAsync(() => (pending = TryLoadPending(store)) is { Status: "waiting" }, Timeout, "a pairing code");
        return pending!;
    }

    /// <summary>Approves whatever code the appliance shows until it has an identity; returns its id.</summary>
    private static async Task<string> CompleteAsync(PairingStack stack, HttpClient engineer, string name, HashSet<string> approved)
    {
        var store = new IdentityStore(stack.StateDirectory);
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(Path.Combine(stack.StateDirectory, IdentityStore.IdentityFile)))
            {
                return store.LoadIdentity()!.ApplianceId;
            }

            if (TryLoadPending(store) is { Status: "waiting" } pending && approved.Add(pending.UserCode))
            {
                await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, pending.UserCode, name: name + "-again"), HttpStatusCode.OK);
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"The appliance did not pair again. Its log:\n{stack.ApplianceProcessLog}");
    }

    private static PendingPairing? TryLoadPending(IdentityStore store)
    {
        try
        {
            return store.LoadPending();
        }
        catch (IOException)
        {
            return null; // being replaced this instant
        }
    }
}
