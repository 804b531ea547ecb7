namespace EdgeGateway.Appliance.Sessions.Display;

/// <summary>
/// How a remote display is streamed to viewers (configuration section <c>Appliance:Display</c>): the uplink budget
/// per session, the frame-rate cap and the compression effort.
/// </summary>
public sealed class DisplayStreamOptions
{
    /// <summary>Sustained uplink budget per display session, in bytes per second (default 250 000 = 2 Mbit/s).</summary>
    public int BudgetBytesPerSecond { get; set; } = 250_000;

    /// <summary>
    /// Bytes that may go up at once before the budget applies (default 256 KiB: a typical desktop's keyframe, so a
    /// session starts at once). Keyframes always go whole; they are paid for afterwards.
    /// </summary>
    public int BurstBytes { get; set; } = 256 * 1024;

    /// <summary>Most display updates per second (default 30).</summary>
    public int MaxFramesPerSecond { get; set; } = 30;

    /// <summary>
    /// Whether text the device puts on its clipboard is sent to viewers (default false). A VNC session sets it from the
    /// endpoint's clipboard policy that comes with its start (<c>StartSession.ClipboardToBrowser</c>), whatever is
    /// configured: the cloud's policy is the one place that decides; the cloud also drops such text when it says no.
    /// </summary>
    public bool ClipboardToBrowser { get; set; }

    /// <summary>A copy of these options with <see cref="ClipboardToBrowser"/> set to <paramref name="allowed"/>.</summary>
    public DisplayStreamOptions WithClipboardToBrowser(bool allowed)
    {
        var copy = (DisplayStreamOptions)MemberwiseClone();
        copy.ClipboardToBrowser = allowed;
        return copy;
    }

    /// <summary>
    /// Deflate effort, 1 (fastest) to 9 (smallest). Default 9: on desktop-like content a keyframe is about 15 %
    /// smaller than at zlib's usual 6 for about a fifth more encoding time, and changes are small either way.
    /// </summary>
    public int CompressionLevel { get; set; } = 9;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (BudgetBytesPerSecond is < 1_000 or > 1_000_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(BudgetBytesPerSecond), BudgetBytesPerSecond, "Must be 1 000 to 1 000 000 000 bytes per second.");
        }

        // A flush needs room for one whole 64 × 64 tile of raw pixels (12 KiB and a little).
        if (BurstBytes is < 16 * 1024 or > 64 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(BurstBytes), BurstBytes, "Must be 16 KiB to 64 MiB.");
        }

        if (MaxFramesPerSecond is < 1 or > 120)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFramesPerSecond), MaxFramesPerSecond, "Must be 1 to 120.");
        }

        if (CompressionLevel is < 1 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(CompressionLevel), CompressionLevel, "Must be 1 to 9.");
        }
    }
}
