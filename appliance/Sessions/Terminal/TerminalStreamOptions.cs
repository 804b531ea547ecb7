namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// How much uplink one terminal session may use before it stops forwarding every byte and sends screen updates
/// instead (configuration section <c>Appliance:Terminal</c>).
/// </summary>
public sealed class TerminalStreamOptions
{
    /// <summary>Sustained uplink budget per session, in bytes per second (default 250 000 = 2 Mbit/s).</summary>
    public int BudgetBytesPerSecond { get; set; } = 250_000;

    /// <summary>Bytes that may go up at once before the budget applies (default 16 KiB).</summary>
    public int BurstBytes { get; set; } = 16 * 1024;

    /// <summary>How often a screen update is sent while output exceeds the budget (default 100 ms).</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (BudgetBytesPerSecond is < 1_000 or > 1_000_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(BudgetBytesPerSecond), BudgetBytesPerSecond, "Must be 1 000 to 1 000 000 000 bytes per second.");
        }

        if (BurstBytes is < 1_024 or > 64 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(BurstBytes), BurstBytes, "Must be 1 KiB to 64 MiB.");
        }

        if (SyncInterval < TimeSpan.FromMilliseconds(10) || SyncInterval > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(SyncInterval), SyncInterval, "Must be 10 ms to 10 s.");
        }
    }
}
