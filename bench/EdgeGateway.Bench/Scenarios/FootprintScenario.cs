using System.Diagnostics;
using System.Globalization;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;
using EdgeGateway.Cloud.Pairing;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// 5 — Appliance footprint. The appliance as its own process (configured through environment variables, as
/// scripts/demo.sh does), in each build variant: framework-dependent, and — in full mode, published by this
/// scenario — ReadyToRun, self-contained trimmed and Native AOT. Start-up to ready, idle RSS, RSS and CPU with one
/// SSH session running <c>top -d 1</c>. Start-ups alternate between variants round by round.
/// </summary>
public sealed class FootprintScenario : IScenario
{
    public const string Number = "5 footprint";
    private const string Baseline = "framework-dependent";

    public string Id => "footprint";

    public string Title => "Appliance footprint per build variant";

    private sealed record Variant(string Name, string Executable, string[] Arguments, string Directory, string[]? PublishFlags)
    {
        public long SizeBytes => System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".dbg", StringComparison.Ordinal) && !f.EndsWith(".pdb", StringComparison.Ordinal) && !f.EndsWith(".xml", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);
    }

    private sealed class Measurements
    {
        public List<double> ReadyMs { get; } = [];

        public List<double> IdleRssMb { get; } = [];

        public List<double> HostStartedMs { get; } = [];

        public (double AnonymousMb, double FileMb)? IdleSplit { get; set; }

        public double? SessionRssMb { get; set; }

        public double? CpuPerSessionMinute { get; set; }

        public double? IdleCpuPerMinute { get; set; }
    }

    public async Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var variants = new List<Variant>
        {
            new(Baseline, RepoPaths.DotnetHost, [RepoPaths.ApplianceDll], Path.GetDirectoryName(RepoPaths.ApplianceDll)!, null),
        };
        if (context.Settings.PublishVariants)
        {
            foreach (var (name, flags) in new (string, string[])[]
            {
                ("framework-dependent ReadyToRun", ["--self-contained", "false", "-p:PublishReadyToRun=true"]),
                ("self-contained trimmed", ["--self-contained", "true", "-p:PublishTrimmed=true"]),
                ("Native AOT", ["-p:PublishAot=true"]),
            })
            {
                if (await PublishAsync(context, name, flags) is { } variant)
                {
                    variants.Add(variant);
                }
            }
        }
        else
        {
            context.Add(new Figure
            {
                Scenario = Number,
                Name = "ReadyToRun, trimmed and Native AOT variants",
                Unit = "—",
                Status = FigureStatus.Skipped,
                Note = "Published and measured in the full run only (publishing takes minutes).",
            });
        }

        await using var stack = await BenchStack.StartAsync(context, "footprint", appliances: 0);
        var admin = await stack.LoginAdminAsync();
        var results = variants.ToDictionary(v => v, _ => new Measurements());
        var pki = Path.Combine(stack.Directory, "footprint-pki");
        Directory.CreateDirectory(pki);
        var (cert, key) = stack.Cloud.Authority.IssueAppliance("bench-footprint", TimeSpan.FromDays(1));
        await File.WriteAllTextAsync(Path.Combine(pki, "appliance.pem"), cert, context.Cancellation);
        CertificateAuthority.WritePrivate(Path.Combine(pki, "appliance.key"), key);
        File.Copy(stack.Cloud.Authority.CertificatePath, Path.Combine(pki, "ca.pem"), overwrite: true);

        for (var round = 0; round < context.Settings.FootprintRounds; round++)
        {
            // Rotate the order so no variant always starts right after the same other one.
            for (var k = 0; k < variants.Count; k++)
            {
                var variant = variants[(k + round) % variants.Count];
                await MeasureAsync(context, stack, admin, variant, results[variant], pki, withSession: round == 0);
            }
        }

        var fdd = results[variants[0]];
        foreach (var variant in variants)
        {
            var m = results[variant];
            var isBase = variant == variants[0];
            var isAot = variant.Name == "Native AOT";
            var sizeNote = $"On disk {variant.SizeBytes / 1048576.0:0.0} MiB (without .pdb/.dbg/.xml){(variant.PublishFlags is { } f ? "; dotnet publish -c Release -r linux-x64 " + string.Join(' ', f) : "; the Release build output, run with dotnet")}.";
            var readyGoal = isBase ? "≤ 1 s" : isAot ? "≤ 100 ms" : null;
            var readyLimit = isBase ? 1000 : isAot ? 100 : double.NaN;
            var ready = Distribution.Of(m.ReadyMs);
            context.Add((isBase ? Figure.Alone(Number, $"{variant.Name}: start-up to ready", "ms", ready) : Figure.Compare(Number, $"{variant.Name}: start-up to ready", "ms", ready, Baseline, Distribution.Of(fdd.ReadyMs))) with
            {
                Goal = readyGoal,
                GoalMet = readyGoal is null ? null : ready.Median <= readyLimit,
                Note = "Process start → its 'Uplink connected' log line, which follows the cloud's acknowledgement of Hello (TLS + MQTT connect + subscribe + Hello)"
                    + (m.HostStartedMs.Count > 0 ? $"; the host itself was started ('Application started') after a median {Distribution.Of(m.HostStartedMs).Median:0} ms. " : ". ") + sizeNote,
            });

            var rssGoal = isBase ? "≤ 40 MB" : isAot ? "≤ 30 MB" : null;
            var rssLimit = isBase ? 40 : isAot ? 30 : double.NaN;
            var idle = Distribution.Of(m.IdleRssMb);
            context.Add((isBase ? Figure.Alone(Number, $"{variant.Name}: idle RSS", "MB", idle) : Figure.Compare(Number, $"{variant.Name}: idle RSS", "MB", idle, Baseline, Distribution.Of(fdd.IdleRssMb))) with
            {
                Goal = rssGoal,
                GoalMet = rssGoal is null ? null : idle.Median <= rssLimit,
                Note = $"VmRSS {context.Settings.FootprintSettle.TotalSeconds:0} s after ready, connected, no session (MB = 10^6 bytes)"
                    + (m.IdleSplit is { } split ? $"; first round: {split.AnonymousMb:0.0} MB anonymous (GC heap, JIT code, stacks, native heaps), {split.FileMb:0.0} MB file-backed (runtime and assemblies mapped)." : "."),
            });

            if (m.SessionRssMb is { } sessionRss && fdd.SessionRssMb is { } baseRss)
            {
                context.Add((isBase ? Figure.Alone(Number, $"{variant.Name}: RSS with one SSH session", "MB", Distribution.Single(sessionRss)) : Figure.Compare(Number, $"{variant.Name}: RSS with one SSH session", "MB", Distribution.Single(sessionRss), Baseline, Distribution.Single(baseRss))) with
                {
                    Note = $"VmRSS after {context.Settings.FootprintSessionWindow.TotalSeconds:0} s of top -d 1 in the session.",
                });
            }

            if (m.CpuPerSessionMinute is { } cpu && fdd.CpuPerSessionMinute is { } baseCpu)
            {
                context.Add((isBase ? Figure.Alone(Number, $"{variant.Name}: CPU per session-minute (top -d 1)", "CPU ms/min", Distribution.Single(cpu)) : Figure.Compare(Number, $"{variant.Name}: CPU per session-minute (top -d 1)", "CPU ms/min", Distribution.Single(cpu), Baseline, Distribution.Single(baseCpu))) with
                {
                    Note = $"Appliance process utime+stime over {context.Settings.FootprintSessionWindow.TotalSeconds:0} s of the session (after its first seconds) minus its idle rate ({m.IdleCpuPerMinute:0} ms/min idle), scaled to a minute; /proc ticks are 10 ms, so ±40 ms/min.",
                });
            }
        }
    }

    private static async Task MeasureAsync(BenchContext context, BenchStack stack, WebUser admin, Variant variant, Measurements m, string pki, bool withSession)
    {
        var environment = new Dictionary<string, string>
        {
            ["Appliance__Id"] = "bench-footprint",
            ["Appliance__Cloud__Host"] = "127.0.0.1",
            ["Appliance__Cloud__MqttPort"] = stack.Cloud.BrokerPort.ToString(CultureInfo.InvariantCulture),
            ["Appliance__Cloud__CertificatePath"] = Path.Combine(pki, "appliance.pem"),
            ["Appliance__Cloud__KeyPath"] = Path.Combine(pki, "appliance.key"),
            ["Appliance__Cloud__AuthorityPath"] = Path.Combine(pki, "ca.pem"),
            ["Appliance__Endpoints__0__Id"] = InProcessAppliance.EndpointId,
            ["Appliance__Endpoints__0__Name"] = "Bench device",
            ["Appliance__Endpoints__0__Protocol"] = "ssh",
            ["Appliance__Endpoints__0__Host"] = stack.Device.Host,
            ["Appliance__Endpoints__0__Port"] = stack.Device.Port.ToString(CultureInfo.InvariantCulture),
            ["Appliance__Endpoints__0__HostKeySha256"] = stack.Device.HostKeyFingerprint,
            ["DOTNET_NOLOGO"] = "1",

            // As scripts/demo.sh runs it: OpenSSL's default trust is the cloud's CA alone (docs/ARCHITECTURE.md).
            ["SSL_CERT_FILE"] = Path.Combine(pki, "ca.pem"),
            ["SSL_CERT_DIR"] = string.Empty,
        };
        var log = Path.Combine(context.OutputDirectory, "logs", "footprint-" + variant.Name.Replace(' ', '-') + ".log");
        await using var process = ChildProcess.Start(variant.Executable, variant.Arguments, environment, variant.Directory, log);
        var hostStarted = process.WaitForLineAsync("Application started");
        var ready = process.WaitForLineAsync("Uplink connected");
        long readyAt;
        try
        {
            readyAt = await ready.WaitAsync(TimeSpan.FromSeconds(60), context.Cancellation);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"The {variant.Name} appliance did not report 'Uplink connected' within 60 s; see {log}.");
        }

        var readyMs = Stopwatch.GetElapsedTime(process.StartedAt, readyAt).TotalMilliseconds;
        m.ReadyMs.Add(readyMs);
        if (hostStarted.IsCompletedSuccessfully)
        {
            m.HostStartedMs.Add(Stopwatch.GetElapsedTime(process.StartedAt, hostStarted.Result).TotalMilliseconds);
        }

        await Task.Delay(context.Settings.FootprintSettle, context.Cancellation);
        var idle = process.Sample();
        m.IdleRssMb.Add(idle.RssBytes / 1e6);
        var (anonymous, file) = ProcStats.Residency(process.Id);
        m.IdleSplit ??= (anonymous / 1e6, file / 1e6);
        await File.WriteAllLinesAsync(
            Path.ChangeExtension(log, ".rss-by-mapping.txt"),
            ProcStats.ResidencyByMapping(process.Id).Select(r => FormattableString.Invariant($"{r.Bytes / 1024,8} KiB  {r.Mapping}")),
            context.Cancellation);
        context.Say($"  footprint {variant.Name}: ready in {readyMs:0} ms, idle RSS {idle.RssBytes / 1e6:0.0} MB");
        if (!withSession)
        {
            return;
        }

        // Idle CPU rate, measured after start-up work (tiered JIT, first GCs) has settled.
        var window = context.Settings.FootprintSessionWindow;
        await Task.Delay(context.Settings.FootprintSettle, context.Cancellation);
        var idleStart = process.Sample();
        var idleProfile = PerfProfiler.Start(context, process.Id, "footprint-idle-" + variant.Name.Replace(' ', '-'));
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, window.TotalSeconds)), context.Cancellation);
        var idleEnd = process.Sample();
        if (idleProfile is not null)
        {
            context.Note("5.profile.idle." + variant.Name, await idleProfile.StopAsync());
        }

        var idlePerSecond = (idleEnd.CpuSeconds - idleStart.CpuSeconds) / Stopwatch.GetElapsedTime(idleStart.Timestamp, idleEnd.Timestamp).TotalSeconds;

        var (sessionId, _) = await stack.StartSessionAsync(admin, "bench-footprint");
        var probe = new TerminalProbe();
        await using var stream = await stack.OpenStreamAsync(admin, sessionId, (in header, payload, at) =>
        {
            if (header.Type == Protocol.Stream.FrameType.TerminalOutput)
            {
                probe.Observe(payload, at);
            }
        });
        var ready2 = probe.ExpectMarker(BenchStack.ReadyMarker);
        await stream.SendInputAsync(System.Text.Encoding.UTF8.GetBytes(BenchStack.ShellSetup));
        await ready2.WaitAsync(TimeSpan.FromSeconds(20));
        await stream.SendInputAsync("top -d 1\r"u8.ToArray());

        // The first seconds of the first session pay for JIT-compiling the session path (JIT variants): measure after.
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, window.TotalSeconds / 3)), context.Cancellation);
        var s0 = process.Sample();
        var sessionProfile = PerfProfiler.Start(context, process.Id, "footprint-session-" + variant.Name.Replace(' ', '-'));
        await Task.Delay(window, context.Cancellation);
        var s1 = process.Sample();
        if (sessionProfile is not null)
        {
            context.Note("5.profile.session." + variant.Name, await sessionProfile.StopAsync());
        }

        await stream.SendInputAsync("q"u8.ToArray());
        var seconds = Stopwatch.GetElapsedTime(s0.Timestamp, s1.Timestamp).TotalSeconds;
        m.SessionRssMb = s1.RssBytes / 1e6;
        m.IdleCpuPerMinute = idlePerSecond * 60 * 1000;
        m.CpuPerSessionMinute = ((s1.CpuSeconds - s0.CpuSeconds) / seconds - idlePerSecond) * 60 * 1000;
        context.Say($"  footprint {variant.Name}: session RSS {m.SessionRssMb:0.0} MB, {m.CpuPerSessionMinute:0} CPU ms per session-minute (idle {m.IdleCpuPerMinute:0} ms/min)");
        await stack.StopSessionAsync(admin, sessionId);
        await stream.Ended.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    private static async Task<Variant?> PublishAsync(BenchContext context, string name, string[] flags)
    {
        var slug = name.Replace(' ', '-').ToLowerInvariant();
        var output = Path.Combine(RepoPaths.Root, "artifacts", "bench", "publish", slug);
        var intermediate = Path.Combine(RepoPaths.Root, "artifacts", "bench", "publish-obj", slug);
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }

        // Own artifacts path: the publish restores for linux-x64 without touching the shared obj/ folders.
        string[] arguments =
        [
            "publish", Path.Combine(RepoPaths.Root, "appliance", "EdgeGateway.Appliance.csproj"),
            "-c", "Release", "-r", "linux-x64", "--nologo", "-p:TreatWarningsAsErrors=false",
            "--artifacts-path", intermediate, "-o", output, .. flags,
        ];
        context.Say($"  footprint: dotnet {string.Join(' ', arguments)}");
        var log = Path.Combine(context.OutputDirectory, "logs", "publish-" + slug + ".log");
        var started = Stopwatch.StartNew();
        await using var process = ChildProcess.Start(RepoPaths.DotnetHost, arguments, new Dictionary<string, string> { ["DOTNET_NOLOGO"] = "1" }, RepoPaths.Root, log);
        var exit = await process.WaitForExitAsync(TimeSpan.FromMinutes(15));
        var text = await File.ReadAllTextAsync(log, context.Cancellation);
        var trimWarnings = text.Split('\n').Where(l => l.Contains("warning IL", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
        var apphost = Path.Combine(output, "EdgeGateway.Appliance");
        var ok = exit == 0 && File.Exists(apphost);
        context.Note($"5.publish.{slug}", $"exit {exit}, {started.Elapsed.TotalSeconds:0} s, {trimWarnings.Count} trim/AOT warnings{(trimWarnings.Count > 0 ? ": " + string.Join(" || ", trimWarnings.Take(8)) : string.Empty)}; log {Path.GetRelativePath(RepoPaths.Root, log)}");
        context.Say($"  footprint: {name}: exit {exit} in {started.Elapsed.TotalSeconds:0} s, {trimWarnings.Count} trim/AOT warnings");
        if (!ok)
        {
            context.Add(new Figure
            {
                Scenario = Number,
                Name = $"{name}: publish",
                Unit = "—",
                Status = FigureStatus.Failed,
                Note = $"dotnet publish exited {exit}; see {Path.GetRelativePath(RepoPaths.Root, log)}. " + string.Join(" ", text.Split('\n').Where(l => l.Contains("error", StringComparison.Ordinal)).Take(3)),
            });
            return null;
        }

        return new Variant(name, apphost, [], output, flags);
    }
}
