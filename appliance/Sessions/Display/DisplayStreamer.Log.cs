namespace EdgeGateway.Appliance.Sessions.Display;

internal sealed partial class DisplayStreamer
{
    // Never log pixels or clipboard text: the screen may show anything, passwords included.
    private static partial class Log
    {
        [LoggerMessage(450, LogLevel.Debug, "Display keyframe sent: {Bytes} bytes for {Width}x{Height}")]
        public static partial void KeyframeSent(ILogger logger, long bytes, int width, int height);

        [LoggerMessage(451, LogLevel.Debug, "Display resized to {Width}x{Height}: a keyframe follows")]
        public static partial void Resized(ILogger logger, int width, int height);
    }
}
