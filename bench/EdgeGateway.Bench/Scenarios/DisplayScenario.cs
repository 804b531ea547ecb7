using System.Diagnostics;
using System.Globalization;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// 4 — Display stream efficiency (issue 10). One VNC session through the whole product (the cloud process, an
/// in-process appliance, TigerVNC's Xvnc at 1280×800×24, VNC authentication, the appliance's default encodings), in one
/// run: upstream frame bytes of an idle screen and of scripted changes (a window dragged, the root window redrawn, an
/// xterm scrolling <c>seq 1 20000</c>) beside the RFB bytes the device sent for the same work; the frame rate delivered
/// to the Controller for a continuous full-screen change; key press → changed pixels at the Controller (rebuilt with
/// <see cref="DisplayCanvas"/>), with no load and while a video-like region changes, under the 2 Mbit/s budget; the
/// appliance's CPU per session-minute during the scripted change. Then the same work over RDP: FreeRDP's shadow server on
/// Xvfb at 1280×800 with NLA, through the appliance's edgegateway-rdp helper, beside the RDP bytes FreeRDP read from the
/// server (its transport count), with the helper's memory and the time from Connect to the first picture.
/// </summary>
public sealed class DisplayScenario : IScenario
{
    public const string Number = "4 display";

    /// <summary>Budget the whole scenario runs under (the appliance's default, set explicitly): 2 Mbit/s.</summary>
    private const int Budget = 250_000;
    private const int SeqLines = 20_000;
    private const int DragStep = 6;
    private static readonly TimeSpan PressTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ThinkTime = TimeSpan.FromMilliseconds(40);

    public string Id => "display";

    public string Title => "Display stream efficiency (VNC/RDP)";

    public async Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var overrides = new Dictionary<string, string?> { ["Appliance:Display:BudgetBytesPerSecond"] = Budget.ToString(CultureInfo.InvariantCulture) };
        await using (var device = await VncServer.StartTigerVncAsync(VncSecurity.VncAuth, 1280, 800))
        {
            await using var stack = await BenchStack.StartAsync(context, "display", appliances: 1, overrides, BenchEndpoint.Vnc(device));
            await new Run(context, stack, device, Protocol.Vnc, string.Empty, device.Password).ExecuteAsync();
        }

        await using (var device = await RdpServer.StartAsync(1280, 800))
        {
            await using var stack = await BenchStack.StartAsync(context, "display-rdp", appliances: 1, overrides, BenchEndpoint.Rdp(device));
            await new Run(context, stack, device, Protocol.Rdp, device.User, device.Password).ExecuteAsync();
        }
    }

    /// <summary>What differs between the VNC and the RDP run: names, and where the device's own counts are read.</summary>
    private sealed record Protocol(string Label, string Native, string Updates, Func<InProcessAppliance, string, (long Bytes, long Updates, Appliance.Sessions.Display.DisplayStats Stats, int? Helper)?> Read)
    {
        public static readonly Protocol Vnc = new("VNC", "RFB", "FramebufferUpdates", static (a, id) =>
            a.VncSession(id) is { } s ? (s.RfbBytesRead, s.UpdatesDecoded, s.Streamer?.Stats ?? default, null) : null);

        public static readonly Protocol Rdp = new("RDP", "RDP", "EndPaints", static (a, id) =>
            a.RdpSession(id) is { } s ? (s.ServerBytesRead, s.UpdatesDecoded, s.Streamer?.Stats ?? default, s.HelperProcessId) : null);
    }

    /// <summary>One session, its phases in order; every phase starts and ends on a quiet screen.</summary>
    private sealed class Run(BenchContext context, BenchStack stack, XDisplayHost device, Protocol protocol, string username, string password)
    {
        private readonly BenchSettings _s = context.Settings;
        private readonly DisplayProbe _probe = new();
        private readonly string _scratch = Directory.CreateTempSubdirectory("eg-bench-display-").FullName;
        private InProcessAppliance _appliance = null!;
        private string _sessionId = string.Empty;
        private ViewerClient _stream = null!;
        private TimeSpan Quiet => _s.Mode == "full" ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(500);

        private (long Bytes, long Updates, Appliance.Sessions.Display.DisplayStats Stats, int? Helper) Session =>
            protocol.Read(_appliance, _sessionId) ?? throw new InvalidOperationException($"The {protocol.Label} session ended (the appliance's log: logs/display-appliances.log; its last warnings: {_appliance.Warnings.Last}).");

        /// <summary>The device's own bytes: RFB the appliance decoded (VNC), or what FreeRDP read from the server (RDP).</summary>
        private long RfbBytes => Session.Bytes;

        private long DeviceUpdates => Session.Updates;

        private long Upstream => _appliance.Stream(_sessionId).Totals.Bytes;

        private Appliance.Sessions.Display.DisplayStats Stats => protocol.Read(_appliance, _sessionId)?.Stats ?? default;

        private string L => protocol.Label;

        public async Task ExecuteAsync()
        {
            try
            {
                await ExecuteCoreAsync();
            }
            finally
            {
                _probe.Dispose();
                try
                {
                    Directory.Delete(_scratch, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }

        private async Task ExecuteCoreAsync()
        {
            _appliance = stack.Appliances[0];
            var admin = await stack.LoginAdminAsync();

            // The typist: `cat` in an xterm at the bottom right, so its tiles come last in the streamer's row-major order.
            device.StartClient("xterm", "-T", "eg-typist", "-geometry", "80x24+780+470", "-bg", "#fafafa", "-fg", "#202020", "-e", "cat");
            await Conditions.WaitUntilAsync(() => device.IsViewableAsync("eg-typist").GetAwaiter().GetResult(), TimeSpan.FromSeconds(20), "the typist's xterm");
            var typist = await GeometryAsync("eg-typist");

            var connect = Stopwatch.GetTimestamp();
            (_sessionId, var started) = await stack.StartSessionAsync(admin, _appliance.Id, username: username, password: password);
            _stream = await stack.OpenStreamAsync(admin, _sessionId, _probe.Observe);
            try
            {
                await Conditions.WaitUntilAsync(() => _probe.HasPicture, TimeSpan.FromSeconds(30), "the Controller's first picture");
                var firstPicture = Stopwatch.GetElapsedTime(connect);
                context.Add(Figure.Alone(Number, $"{L}: Connect → first picture at the Controller", "ms", Distribution.Single(firstPicture.TotalMilliseconds)) with
                {
                    Note = $"From POST /api/sessions (the start: TCP, {(L == "RDP" ? "TLS, the certificate check, NLA (CredSSP), licensing and capabilities" : "the RFB handshake and VNC authentication")}; answered after {started.TotalMilliseconds:0} ms) "
                        + "through opening the session's WebSocket to the first whole picture (keyframe) applied, 1280×800; one session, the harness and the cloud on the same 2 cores.",
                });

                // No window manager: the keyboard follows the pointer. It rests inside the typist's window, bottom right.
                await _stream.SendFrameAsync(FrameType.PointerInput, DisplayScreen.Pointer(0, typist.Right - 4, typist.Bottom - 4));
                await QuietAsync("the first screen");
                await MeasureAsync(typist);
            }
            finally
            {
                await stack.StopSessionAsync(admin, _sessionId);
                await _stream.Ended.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(static _ => { }, TaskScheduler.Default);
                await _stream.DisposeAsync();
            }

            if (_probe.Error is { } error)
            {
                throw new InvalidOperationException("The Controller's display stream could not be applied: " + error);
            }
        }

        private async Task MeasureAsync(PixelRect typist)
        {
            // Idle: the screen holds the typist's xterm (no blinking cursor) and nothing changes.
            var idleWindow = _s.DisplayIdle;
            var (idleUp0, idleRfb0, idleCpu0, idleApply0) = (Upstream, RfbBytes, ProcStats.Self(), _probe.ApplyTicks);
            await Task.Delay(idleWindow, context.Cancellation);
            var (idleUp1, idleRfb1, idleCpu1, idleApply1) = (Upstream, RfbBytes, ProcStats.Self(), _probe.ApplyTicks);
            var idleSeconds = Stopwatch.GetElapsedTime(idleCpu0.Timestamp, idleCpu1.Timestamp).TotalSeconds;
            var idleCpuRate = (idleCpu1.CpuSeconds - idleCpu0.CpuSeconds - Seconds(idleApply1 - idleApply0)) / idleSeconds;
            var idleBits = (idleUp1 - idleUp0) * 8 / idleSeconds;
            var scaled = idleWindow < TimeSpan.FromMinutes(1) ? $"watched {idleSeconds:0.0} s (not a minute: {_s.Mode} mode) and scaled to a rate" : $"watched {idleSeconds:0} s";
            context.Add(Figure.Compare(Number, $"{L}: idle screen, upstream rate", "bit/s", Distribution.Single(idleBits), $"device {protocol.Native} bytes, same screen", Distribution.Single((idleRfb1 - idleRfb0) * 8 / idleSeconds), "total") with
            {
                Goal = "≤ 1 kbit/s",
                GoalMet = idleBits <= 1000,
                Note = $"Upstream frame bytes (16-byte header + payload) handed to the uplink while an xterm sat still, {scaled}; {idleUp1 - idleUp0} B up, {idleRfb1 - idleRfb0} B of {protocol.Native} from the device.",
            });

            // The scripted change: three pieces of work, each measured from a quiet screen to a quiet screen.
            var cpu0 = ProcStats.Self();
            var apply0 = _probe.ApplyTicks;
            var pieces = new List<(string Name, long Up, long Rfb, string Note)>
            {
                await DragAsync(),
                await RedrawAsync(),
                await ScrollAsync(),
            };
            var cpu1 = ProcStats.Self();
            var apply1 = _probe.ApplyTicks;
            foreach (var (name, up, rfb, note) in pieces)
            {
                context.Add(ChangeFigure(name, up, rfb, note));
            }

            var (totalUp, totalRfb) = (pieces.Sum(p => p.Up), pieces.Sum(p => p.Rfb));
            context.Add(ChangeFigure("scripted change, all three", totalUp, totalRfb, "The sum of the three rows above."));

            var window = Stopwatch.GetElapsedTime(cpu0.Timestamp, cpu1.Timestamp).TotalSeconds;
            var viewerSeconds = Seconds(apply1 - apply0);
            var cpuPerMinute = ((cpu1.CpuSeconds - cpu0.CpuSeconds - viewerSeconds) / window - idleCpuRate) * 60 * 1000;
            context.Add(Figure.Alone(Number, $"{L}: appliance CPU per session-minute (the scripted change)", "CPU ms/min", Distribution.Single(cpuPerMinute)) with
            {
                Note = $"utime+stime of the harness process (the in-process appliance, plus the Controller's WebSocket/TLS receive) over the {window:0.0} s of the three pieces, "
                    + $"minus the {viewerSeconds * 1000:0} ms the viewer spent rebuilding the picture (wall time of DisplayCanvas.Apply) and minus the idle rate with the session open "
                    + $"({idleCpuRate * 60 * 1000:0} ms/min), scaled to a minute; an upper bound for the appliance alone. /proc ticks are 10 ms.",
            });

            await FramesPerSecondAsync();
            var calm = await KeyLatencyAsync(typist, underLoad: false);
            var loaded = await KeyLatencyAsync(typist, underLoad: true);
            context.Add(Figure.Alone(Number, $"{L}: key press → changed pixels at the Controller, no load", "ms", calm.Latency) with
            {
                Note = $"KeyInput frames (press, release) sent on the Controller's WebSocket as the page sends them, to `cat` in an xterm at the bottom right; "
                    + $"the time until the frame after which the xterm's pixels differ arrived, rebuilt with DisplayCanvas. {calm.Latency.Count} presses, {ThinkTime.TotalMilliseconds:0} ms apart"
                    + (calm.Missed > 0 ? $"; {calm.Missed} saw no change within {PressTimeout.TotalSeconds:0} s (counted as {PressTimeout.TotalMilliseconds:0} ms)." : "."),
            });
            if (Session.Helper is { } helper)
            {
                var (rss, peak) = HelperMemory(helper);
                context.Add(Figure.Alone(Number, $"{L}: helper process memory per session (VmRSS now / VmHWM peak)", "MB", Distribution.Single(rss)) with
                {
                    Note = $"/proc/{{pid}}/status of the session's edgegateway-rdp child after the whole run (1280×800 desktop, 32 bpp GDI): VmRSS {rss:0.0} MB, peak VmHWM {peak:0.0} MB. "
                        + "Shared libraries (libfreerdp2, OpenSSL) are counted in full here, though shared between sessions' helpers.",
                });
            }

            context.Add(Figure.Compare(Number, $"{L}: key press → changed pixels, 2 Mbit/s budget, video-like region changing", "ms", loaded.Latency, "no load", calm.Latency, "p99") with
            {
                Goal = "p99 ≤ 150 ms",
                GoalMet = loaded.Latency.P99 <= 150 && loaded.Missed == 0,
                Note = $"The same presses while an xterm at the top left (100×50 characters) prints random base64 text, a new screenful about every 30 ms; "
                    + $"Appliance:Display:BudgetBytesPerSecond={Budget}. Upstream during the presses: {loaded.UpstreamBitsPerSecond / 1e6:0.00} Mbit/s; the device sent {loaded.DeviceUpdatesPerSecond:0.0} {protocol.Updates}/s (no load: {calm.DeviceUpdatesPerSecond:0.0}/s)"
                    + (loaded.Missed > 0 ? $"; {loaded.Missed} presses saw no change within {PressTimeout.TotalSeconds:0} s (counted as {PressTimeout.TotalMilliseconds:0} ms)." : "."),
            });
        }

        private Figure ChangeFigure(string name, long up, long rfb, string note)
        {
            var ratio = rfb == 0 ? double.NaN : (double)up / rfb;
            return Figure.Compare(Number, $"{L}: {name}: upstream vs the device's {protocol.Native} bytes", "kB", Distribution.Single(up / 1000.0), $"device {protocol.Native} bytes (same work)", Distribution.Single(rfb / 1000.0), "total") with
            {
                Goal = $"≤ 1.0× the device's {protocol.Native}",
                GoalMet = up <= rfb,
                Note = note + (L == "VNC" ? " Upstream = frame bytes handed to the uplink (16-byte headers included); RFB = server-to-client bytes the appliance decoded (no TLS here: VNC authentication)."
                    : " Upstream = frame bytes handed to the uplink (16-byte headers included); RDP = bytes FreeRDP read from the server (freerdp_get_stats: RDP PDUs inside TLS, as the helper reports at each EndPaint)."),
            };
        }

        private async Task<(string, long, long, string)> DragAsync()
        {
            device.StartClient("xterm", "-T", "eg-drag", "-geometry", "60x15+20+590", "-e", "sh", "-c", "seq 1 15; exec sleep 600");
            await Conditions.WaitUntilAsync(() => device.IsViewableAsync("eg-drag").GetAwaiter().GetResult(), TimeSpan.FromSeconds(20), "the xterm to drag");
            await QuietAsync("the xterm to drag");
            var steps = _s.DisplayDragSteps;
            var script = $"W=$(xdotool search --name '^eg-drag$' | head -n 1); x=20; i=0; while [ $i -lt {steps} ]; do x=$((x+{DragStep})); xdotool windowmove $W $x 590; sleep 0.03; i=$((i+1)); done";
            return await PieceAsync("window dragged", () => device.RunAsync("sh", "-c", script),
                $"An xterm (60×15 characters, 15 lines of text) moved {steps} × {DragStep} px to the right by `xdotool windowmove`, 30 ms apart, no window manager.");
        }

        private async Task<(string, long, long, string)> RedrawAsync()
        {
            string[] colours = ["#336699", "#a03020", "#10e0c0", "#e0d040", "#602080", "#208040"];
            var commands = new List<string>();
            for (var i = 0; i < _s.DisplayRedraws; i++)
            {
                var (a, b) = (colours[i % colours.Length], colours[(i + 3) % colours.Length]);
                commands.Add(i % 2 == 0 ? $"xsetroot -solid '{a}'" : $"xsetroot -mod 4 4 -fg '{a}' -bg '{b}'");
            }

            return await PieceAsync("full-screen redraw", () => device.RunAsync("sh", "-c", string.Join("; sleep 0.15; ", commands)),
                $"The root window repainted {_s.DisplayRedraws} times, 150 ms apart, alternating solid colours and 4×4 two-colour patterns (xsetroot): every root pixel not under a window.");
        }

        private async Task<(string, long, long, string)> ScrollAsync()
        {
            var go = Path.Combine(_scratch, "go");
            var done = Path.Combine(_scratch, "done");
            device.StartClient("xterm", "-T", "eg-seq", "-geometry", "80x24+660+20", "-e", "sh", "-c", $"while [ ! -e '{go}' ]; do sleep 0.05; done; seq 1 {SeqLines}; touch '{done}'; exec sleep 600");
            await Conditions.WaitUntilAsync(() => device.IsViewableAsync("eg-seq").GetAwaiter().GetResult(), TimeSpan.FromSeconds(20), "the xterm for seq");
            await QuietAsync("the xterm for seq");
            return await PieceAsync($"xterm scrolling seq 1 {SeqLines}", async () =>
            {
                await File.WriteAllTextAsync(go, string.Empty, context.Cancellation);
                await Conditions.WaitUntilAsync(() => File.Exists(done), TimeSpan.FromSeconds(120), "seq to finish in the xterm");
            }, $"`seq 1 {SeqLines}` in an 80×24 xterm (xterm's default jump scroll).");
        }

        private async Task<(string, long, long, string)> PieceAsync(string name, Func<Task> work, string note)
        {
            var (up0, rfb0, updates0, stats0) = (Upstream, RfbBytes, DeviceUpdates, Stats);
            var started = Stopwatch.GetTimestamp();
            await work();
            await QuietAsync(name);
            var (up, rfb, updates, stats) = (Upstream - up0, RfbBytes - rfb0, DeviceUpdates - updates0, Stats);
            var detail = $" The device sent {updates} {protocol.Updates}; the appliance sent {stats.Frames - stats0.Frames} frames "
                + $"({stats.Updates - stats0.Updates} DisplayUpdates, {stats.Rects - stats0.Rects} rects of which {stats.CopyRects - stats0.CopyRects} CopyRects, "
                + $"{(stats.RawDataBytes - stats0.RawDataBytes) / 1000.0:0.0} kB of pixel/palette data before deflate).";
            context.Say($"  display {L} {name}: {up / 1000.0:0.0} kB up, {rfb / 1000.0:0.0} kB {protocol.Native}, {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s;{detail}");
            return (name, up, rfb, note + detail);
        }

        private async Task FramesPerSecondAsync()
        {
            // Most of the screen is the root window again: the drag and seq xterms go.
            foreach (var title in new[] { "eg-drag", "eg-seq" })
            {
                await device.RunAsync("sh", "-c", $"xdotool search --name '^{title}$' | while read w; do xdotool windowkill $w; done");
            }

            await QuietAsync("the windows closed");
            var loop = device.StartClient("sh", "-c", "while :; do xsetroot -solid '#203040'; xsetroot -mod 3 3 -fg '#e0e0e0' -bg '#802020'; xsetroot -solid '#c0a020'; done");
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), context.Cancellation);
                var (v0, d0, u0, t0) = (_probe.Updates, DeviceUpdates, Upstream, Stopwatch.GetTimestamp());
                await Task.Delay(_s.DisplayFpsWindow, context.Cancellation);
                var (v1, d1, u1) = (_probe.Updates, DeviceUpdates, Upstream);
                var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                var fps = (v1 - v0) / seconds;
                context.Add(Figure.Compare(Number, $"{L}: frames per second at the Controller, continuous full-screen change 1280×800", "fps", Distribution.Single(fps), $"device {protocol.Updates}/s", Distribution.Single((d1 - d0) / seconds), "total") with
                {
                    Note = $"A shell loop repaints the root window (1280×800 less the typist's xterm) as fast as xsetroot runs, alternating solid colours and a 3×3 pattern; "
                        + $"DisplayUpdate frames received by the Controller over {seconds:0.0} s (the frame cap is 30/s). Upstream {(u1 - u0) * 8 / seconds / 1e6:0.00} Mbit/s.",
                });
            }
            finally
            {
                loop.Kill(entireProcessTree: true);
            }

            await QuietAsync("the repaint loop stopped");
        }

        private async Task<(Distribution Latency, int Missed, double UpstreamBitsPerSecond, double DeviceUpdatesPerSecond)> KeyLatencyAsync(PixelRect typist, bool underLoad)
        {
            Process? load = null;
            if (underLoad)
            {
                load = device.StartClient("xterm", "-T", "eg-load", "-geometry", "100x50+0+0", "-bg", "#101010", "-fg", "#40ff40", "-e", "sh", "-c",
                    "while :; do head -c 3600 /dev/urandom | base64 -w 98; sleep 0.03; done");
                await Conditions.WaitUntilAsync(() => device.IsViewableAsync("eg-load").GetAwaiter().GetResult(), TimeSpan.FromSeconds(20), "the load xterm");
                await Task.Delay(TimeSpan.FromSeconds(1), context.Cancellation);
            }

            var samples = new List<double>();
            var missed = 0;
            var (u0, d0, t0, k0, cpu0) = (Upstream, DeviceUpdates, Stopwatch.GetTimestamp(), Stats, CpuTimes());
            try
            {
                const int warmup = 5;
                for (var i = 0; i < _s.DisplayKeyPresses + warmup; i++)
                {
                    if (i % 60 == 59)
                    {
                        // A line for `cat` (its echo, then the line printed back): not measured; the next press starts
                        // after both have had time to show, or the line printed back would count as its change.
                        await PressAsync(typist, 0xFF0D);
                        await Task.Delay(TimeSpan.FromMilliseconds(600), context.Cancellation);
                    }

                    var (took, changed) = await PressAsync(typist, (uint)('a' + (i % 26)));
                    if (i >= warmup)
                    {
                        samples.Add(took);
                        missed += changed ? 0 : 1;
                    }

                    await Task.Delay(ThinkTime, context.Cancellation);
                }
            }
            finally
            {
                if (load is not null)
                {
                    load.Kill(entireProcessTree: true);
                }
            }

            var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var cpu = string.Join(", ", CpuTimes().Select(p => $"{p.Key} {(p.Value - cpu0.GetValueOrDefault(p.Key)) * 100 / elapsed:0}%"));
            var (bits, deviceRate) = ((Upstream - u0) * 8 / elapsed, (DeviceUpdates - d0) / elapsed);
            context.AddSeries(new SampleSeries(underLoad ? $"{L} key to pixels, 2 Mbit-s, video-like load" : $"{L} key to pixels, no load", "ms", [.. samples], "display"));
            context.Say($"  display {L} key → pixels ({(underLoad ? "under load" : "no load")}): {Distribution.Of(samples).Median:0.0} ms median, {Distribution.Of(samples).P99:0.0} ms p99, {missed} missed; {Stats.Keyframes - k0.Keyframes} keyframes ({(Stats.KeyframeBytes - k0.KeyframeBytes) / 1000.0:0.0} kB) during the presses; CPU (% of one core): {cpu}");
            if (underLoad)
            {
                await QuietAsync("the load stopped");
            }

            return (Distribution.Of(samples), missed, bits, deviceRate);
        }

        private async Task<(double Ms, bool Changed)> PressAsync(PixelRect typist, uint keysym)
        {
            var change = _probe.ArmChange(typist);
            var sent = Stopwatch.GetTimestamp();
            await _stream.SendFrameAsync(FrameType.KeyInput, DisplayScreen.Key(true, keysym), context.Cancellation);
            await _stream.SendFrameAsync(FrameType.KeyInput, DisplayScreen.Key(false, keysym), context.Cancellation);
            try
            {
                var at = await change.WaitAsync(PressTimeout, context.Cancellation);
                return (Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds, true);
            }
            catch (TimeoutException)
            {
                _probe.Disarm();
                await ExplainMissAsync(typist);
                return (PressTimeout.TotalMilliseconds, false);
            }
        }

        /// <summary>CPU seconds so far of the device's servers, the RDP helper, the cloud process and this harness (the appliance, the viewer).</summary>
        private Dictionary<string, double> CpuTimes()
        {
            var pids = device.Servers.Select(s => (s.Program, s.ProcessId)).ToList();
            pids.Add(("cloud", stack.Cloud.ProcessId));
            pids.Add(("harness", Environment.ProcessId));
            if (protocol.Read(_appliance, _sessionId)?.Helper is { } helper)
            {
                pids.Add(("edgegateway-rdp", helper));
            }

            var times = new Dictionary<string, double>();
            foreach (var (name, pid) in pids)
            {
                try
                {
                    times[name] = ProcStats.Read(pid).CpuSeconds;
                }
                catch (IOException)
                {
                    // Gone.
                }
            }

            return times;
        }

        /// <summary>
        /// Says where a press's change stopped: the device's screen (xwd), the appliance's copy of it and the viewer's,
        /// compared over the typist's window a few seconds after the press.
        /// </summary>
        private async Task ExplainMissAsync(PixelRect typist)
        {
            var viewer = _probe.Copy(typist);
            uint[] appliance;
            int width;
            if (_appliance.VncSession(_sessionId) is { } vnc)
            {
                appliance = DisplayProbe.Cut(vnc.CopyPixels(out width, out _), width, typist);
            }
            else if (_appliance.RdpSession(_sessionId) is { } rdp)
            {
                appliance = DisplayProbe.Cut(rdp.CopyPixels(out width, out _), width, typist);
            }
            else
            {
                context.Say("  missed press: the session ended");
                return;
            }

            var screen = await device.CaptureAsync();
            var deviceRegion = DisplayProbe.Cut(screen.Pixels, screen.Width, typist);
            var stats = Stats;
            context.Say($"  missed press at {DateTime.UtcNow:HH:mm:ss.fff}: device = appliance: {deviceRegion.AsSpan().SequenceEqual(appliance)}, appliance = viewer: {appliance.AsSpan().SequenceEqual(viewer)}; "
                + $"appliance sent {stats.Frames} frames, {stats.Updates} updates, {stats.Keyframes} keyframes; device updates {DeviceUpdates}; upstream {Upstream} B");
        }

        /// <summary>Waits until neither the device nor the appliance has sent anything for <see cref="Quiet"/>.</summary>
        private async Task QuietAsync(string what)
        {
            var last = (RfbBytes, Upstream);
            var since = Stopwatch.GetTimestamp();
            var started = since;
            while (Stopwatch.GetElapsedTime(since) < Quiet)
            {
                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException($"The screen did not settle within 60 s after {what}.");
                }

                await Task.Delay(50, context.Cancellation);
                var now = (RfbBytes, Upstream);
                if (now != last)
                {
                    (last, since) = (now, Stopwatch.GetTimestamp());
                }
            }
        }

        /// <summary>Where a top-level window is on the screen (xwininfo).</summary>
        private async Task<PixelRect> GeometryAsync(string title)
        {
            var info = (await device.RunAsync("xwininfo", "-name", title)).Output.Split('\n');
            int Field(string label) => int.Parse(info.First(l => l.Trim().StartsWith(label, StringComparison.Ordinal)).Split(':')[1].Trim(), CultureInfo.InvariantCulture);
            return new PixelRect(Field("Absolute upper-left X"), Field("Absolute upper-left Y"), Field("Width"), Field("Height"));
        }

        private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

        /// <summary>VmRSS and VmHWM of a process, in MB.</summary>
        private static (double Rss, double Peak) HelperMemory(int pid)
        {
            var lines = File.ReadAllLines($"/proc/{pid}/status");
            double Field(string name) => double.Parse(lines.First(l => l.StartsWith(name, StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
            return (Field("VmRSS"), Field("VmHWM"));
        }
    }
}
