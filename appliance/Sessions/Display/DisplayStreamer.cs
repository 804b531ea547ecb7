using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Appliance.Sessions.Display;

// TEMPORARY STAND-IN (branch rfb-conn only): the API of contract §4 so the VNC session builds and runs before helper B's
// branch display-enc lands. It sends nothing. Replaced whole by display-enc's DisplayStreamer when that is merged.

/// <summary>Display streaming options (section <c>Appliance:Display</c>); stand-in.</summary>
public sealed class DisplayStreamOptions
{
    /// <summary>Sustained uplink budget per display session, in bytes per second.</summary>
    public int BudgetBytesPerSecond { get; set; } = 250_000;

    /// <summary>Most display updates per second.</summary>
    public int MaxFramesPerSecond { get; set; } = 30;

    /// <summary>Whether device clipboard text goes to viewers.</summary>
    public bool ClipboardToBrowser { get; set; }
}

/// <summary>Counters of what a display stream sent; stand-in.</summary>
internal readonly record struct DisplayStats(long Frames, long Rects, long Bytes);

/// <summary>Re-encodes a framebuffer's changes as display frames; stand-in that sends nothing.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Stand-in with the real API.")]
internal sealed class DisplayStreamer : IRfbUpdateSink, IDisposable
{
    public DisplayStreamer(Framebuffer framebuffer, string desktopName, IFrameSink sink, DisplayStreamOptions options, TimeProvider time, ILogger logger)
    {
        _ = (framebuffer, desktopName, sink, options, time, logger);
    }

    public DisplayStats Stats => default;

    public void OnPixels(PixelRect rect)
    {
    }

    public void OnCopyRect(int sourceX, int sourceY, PixelRect destination)
    {
    }

    public void OnResize(int width, int height, string? name)
    {
    }

    public void OnCursor(int hotX, int hotY, int width, int height, ReadOnlySpan<uint> argb)
    {
    }

    public void OnUpdateComplete()
    {
    }

    public void OnBell()
    {
    }

    public void OnServerCutText(string text, bool truncated)
    {
    }

    public void NotePointer(int x, int y, byte buttons)
    {
    }

    public ValueTask SendKeyframeAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<TimeSpan> FlushAsync(CancellationToken cancellationToken) => ValueTask.FromResult(TimeSpan.Zero);

    public void Dispose()
    {
    }
}
