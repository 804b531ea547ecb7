namespace EdgeGateway.Appliance.Sessions.Terminal;

public sealed partial class TerminalStreamer
{
    // Never log terminal content: it may hold anything the device printed, passwords included.
    private static partial class Log
    {
        [LoggerMessage(400, LogLevel.Debug, "Terminal output over the uplink budget ({ChunkBytes} bytes, {TokensLeft} left): sending screen updates")]
        public static partial void SyncStarted(ILogger logger, int chunkBytes, int tokensLeft);

        [LoggerMessage(401, LogLevel.Debug, "Terminal output quiet again after {Seconds:F1} s and {SyncBytes} bytes of screen updates: forwarding")]
        public static partial void SyncEnded(ILogger logger, long syncBytes, double seconds);

        [LoggerMessage(402, LogLevel.Debug, "Terminal keyframe sent: {Bytes} bytes for {Columns}x{Rows}")]
        public static partial void KeyframeSent(ILogger logger, int bytes, int columns, int rows);

        [LoggerMessage(403, LogLevel.Debug, "Terminal resized to {Columns}x{Rows}")]
        public static partial void Resized(ILogger logger, int columns, int rows);

        [LoggerMessage(404, LogLevel.Warning, "Sending a terminal screen update failed")]
        public static partial void ScreenUpdateFailed(ILogger logger, Exception exception);

        [LoggerMessage(405, LogLevel.Debug, "Output leaves the alternate screen and viewers may not have the normal screen: sending a repaint instead")]
        public static partial void NormalScreenRepainted(ILogger logger);
    }
}
