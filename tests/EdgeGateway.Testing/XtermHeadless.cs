using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using EdgeGateway.Protocol.Stream;
using Xunit;

namespace EdgeGateway.Testing;

/// <summary>
/// The page's terminal, headless: one Node.js process running @xterm/headless 6 with the Unicode 11 addon (the same
/// packages and versions as cloud/web), fed VT bytes over stdin, answering with the screen it shows
/// (xterm-screen.cjs). Shared by a test class; requests are serialised.
/// </summary>
public sealed class XtermHeadless : IDisposable
{
    private readonly Process _node;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _nextId;

    public XtermHeadless()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "EdgeGateway.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException("EdgeGateway.sln not found above " + AppContext.BaseDirectory);
        }

        var modules = Path.Combine(root.FullName, "cloud", "web", "node_modules");
        if (!Directory.Exists(Path.Combine(modules, "@xterm", "headless")))
        {
            throw new InvalidOperationException($"@xterm/headless is not installed in {modules}: build the cloud (it runs npm ci in cloud/web) first.");
        }

        var script = Path.Combine(root.FullName, "tests", "EdgeGateway.Testing", "xterm-screen.cjs");
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(modules);
        _node = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        _node.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (Errors)
                {
                    Errors.AppendLine(e.Data);
                }
            }
        };
        _node.BeginErrorReadLine();
    }

    private StringBuilder Errors { get; } = new();

    /// <summary>What xterm.js shows after a fresh terminal of <paramref name="size"/> was written <paramref name="writes"/>, in order.</summary>
    public async Task<XtermScreen> RenderAsync(TerminalSize size, IEnumerable<byte[]> writes)
    {
        var request = new JsonObject
        {
            ["cols"] = size.Columns,
            ["rows"] = size.Rows,
            ["writes"] = new JsonArray(writes.Select(w => (JsonNode)Convert.ToBase64String(w)).ToArray()),
        };
        return XtermScreen.From((await AskAsync(request))["screen"]!);
    }

    /// <summary>What xterm.js shows for the frames a viewer received, from the newest keyframe on (as the page applies them).</summary>
    public Task<XtermScreen> RenderAsync(IReadOnlyList<StreamClient.ReceivedFrame> frames)
    {
        var start = -1;
        for (var i = frames.Count - 1; i >= 0 && start < 0; i--)
        {
            if (frames[i].Header.Type == FrameType.TerminalSnapshot)
            {
                start = i;
            }
        }

        Assert.True(start >= 0, "No keyframe was received.");
        Assert.True(TerminalSize.TryRead(frames[start].Payload, out var size));
        var writes = new List<byte[]> { frames[start].Payload[TerminalSize.EncodedSize..] };
        foreach (var frame in frames.Skip(start + 1))
        {
            Assert.NotEqual(FrameType.TerminalResize, frame.Header.Type);
            if (frame.Header.Type == FrameType.TerminalOutput)
            {
                writes.Add(frame.Payload);
            }
        }

        return RenderAsync(size, writes);
    }

    /// <summary>xterm.js's width (Unicode 11) of every code point, indexed by code point; -1 for controls and surrogates.</summary>
    public async Task<sbyte[]> WidthsAsync()
    {
        var text = (await AskAsync(new JsonObject { ["widths"] = true }))["widths"]!.GetValue<string>();
        return text.Select(c => c == '-' ? (sbyte)-1 : (sbyte)(c - '0')).ToArray();
    }

    private async Task<JsonNode> AskAsync(JsonObject request)
    {
        await _gate.WaitAsync();
        try
        {
            var id = ++_nextId;
            request["id"] = id;
            await _node.StandardInput.WriteLineAsync(request.ToJsonString());
            await _node.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await _node.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                throw new InvalidOperationException("xterm-screen.cjs exited: " + Errors);
            }

            var answer = JsonNode.Parse(line)!;
            if (answer["error"] is { } error)
            {
                throw new InvalidOperationException("xterm-screen.cjs: " + error.GetValue<string>());
            }

            Assert.Equal(id, answer["id"]!.GetValue<int>());
            return answer;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        try
        {
            _node.StandardInput.Close();
            if (!_node.WaitForExit(5_000))
            {
                _node.Kill();
            }
        }
        finally
        {
            _node.Dispose();
            _gate.Dispose();
        }
    }
}

/// <summary>What an xterm.js viewer shows: cells ("chars|width|attributes"), cursor, screen buffer and modes.</summary>
public sealed record XtermScreen(int CursorX, int CursorY, bool AltScreen, string Modes, string[][] Rows)
{
    public static XtermScreen From(JsonNode screen)
    {
        var cursor = screen["cursor"]!.AsArray();
        var rows = screen["rows"]!.AsArray().Select(r => r!.AsArray().Select(c => c!.GetValue<string>()).ToArray()).ToArray();
        return new XtermScreen(cursor[0]!.GetValue<int>(), cursor[1]!.GetValue<int>(), screen["alt"]!.GetValue<bool>(), screen["modes"]!.GetValue<string>(), rows);
    }

    /// <summary>Null when equal, else the first difference with both screens' text.</summary>
    public string? Difference(XtermScreen actual)
    {
        if ((CursorX, CursorY) != (actual.CursorX, actual.CursorY))
        {
            return $"cursor: expected {CursorX},{CursorY}, got {actual.CursorX},{actual.CursorY}\n{Both(actual)}";
        }

        if (AltScreen != actual.AltScreen || Modes != actual.Modes)
        {
            return $"modes: expected alt={AltScreen} {Modes}, got alt={actual.AltScreen} {actual.Modes}";
        }

        for (var row = 0; row < Rows.Length; row++)
        {
            for (var column = 0; column < Rows[row].Length; column++)
            {
                if (Rows[row][column] != actual.Rows[row][column])
                {
                    return $"cell {row},{column}: expected [{Rows[row][column]}], got [{actual.Rows[row][column]}]\n{Both(actual)}";
                }
            }
        }

        return null;
    }

    public string Text => string.Join('\n', Rows.Select(r => string.Concat(r.Select(c => c.Split('|')[0] is var t && c.Split('|')[1] == "0" ? string.Empty : t.Length == 0 ? " " : t)).TrimEnd()));

    private string Both(XtermScreen actual) => $"expected:\n{Text}\nactual:\n{actual.Text}";
}
