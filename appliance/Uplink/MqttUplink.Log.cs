namespace EdgeGateway.Appliance.Uplink;

internal sealed partial class MqttUplink
{
    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "Uplink connected to {Host}:{Port}")]
        public static partial void Connected(ILogger logger, string host, int port);

        [LoggerMessage(101, LogLevel.Warning, "Uplink to {Host}:{Port} failed: {Reason}; retrying in {DelaySeconds:F1} s")]
        public static partial void ConnectFailed(ILogger logger, string host, int port, string reason, double delaySeconds);

        [LoggerMessage(102, LogLevel.Warning, "Uplink disconnected ({Reason}): {Detail}")]
        public static partial void Disconnected(ILogger logger, string reason, string detail);

        [LoggerMessage(103, LogLevel.Error, "Cloud certificate rejected: {Reason}")]
        public static partial void ServerRejected(ILogger logger, string reason);

        [LoggerMessage(104, LogLevel.Warning, "Ignored a message on unexpected topic {Topic}")]
        public static partial void UnexpectedTopic(ILogger logger, string topic);

        [LoggerMessage(105, LogLevel.Warning, "Ignored a control message: {Error}")]
        public static partial void BadControl(ILogger logger, string error);

        [LoggerMessage(106, LogLevel.Error, "Handling a downlink message failed")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);

        [LoggerMessage(107, LogLevel.Information, "Uplink down: {MessageType} queued until it is back")]
        public static partial void ControlQueued(ILogger logger, string messageType);

        [LoggerMessage(108, LogLevel.Warning, "Control queue full ({Capacity}): oldest message dropped")]
        public static partial void ControlQueueFull(ILogger logger, int capacity);

        [LoggerMessage(109, LogLevel.Debug, "Uplink: {Step} after {Milliseconds:F1} ms")]
        public static partial void Step(ILogger logger, string step, double milliseconds);

        [LoggerMessage(110, LogLevel.Information, "Renewing the certificate of {ApplianceId}")]
        public static partial void Renewing(ILogger logger, string applianceId);

        [LoggerMessage(111, LogLevel.Warning, "Certificate renewal failed: {Reason}; trying again in {RetrySeconds:F0} s")]
        public static partial void RenewalRefused(ILogger logger, string reason, double retrySeconds);
    }
}
