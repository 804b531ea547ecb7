using EdgeGateway.Cloud.Pairing;

namespace EdgeGateway.Cloud.Broker;

internal sealed partial class EmbeddedBroker
{
    private static partial class Log
    {
        [LoggerMessage(1000, LogLevel.Information, "MQTT broker listening on {Address}:{Port} (TLS, client certificates required)")]
        public static partial void Listening(ILogger logger, string address, int port);

        [LoggerMessage(1001, LogLevel.Warning, "Client certificate rejected: {Reason}")]
        public static partial void CertificateRejected(ILogger logger, string reason);

        [LoggerMessage(1002, LogLevel.Warning, "Connection from {ClientId} refused: {Reason}")]
        public static partial void ConnectionRefused(ILogger logger, string clientId, string reason);

        [LoggerMessage(1003, LogLevel.Information, "Appliance {ApplianceId} connected from {Remote}")]
        public static partial void ApplianceConnected(ILogger logger, string applianceId, string remote);

        [LoggerMessage(1004, LogLevel.Information, "Appliance {ApplianceId} disconnected ({Kind})")]
        public static partial void ApplianceDisconnected(ILogger logger, string applianceId, string kind);

        [LoggerMessage(1005, LogLevel.Warning, "Appliance {ApplianceId} may not subscribe to {Filter}")]
        public static partial void SubscriptionRefused(ILogger logger, string applianceId, string filter);

        [LoggerMessage(1006, LogLevel.Warning, "Appliance {ApplianceId} may not publish to {Topic}")]
        public static partial void PublishRefused(ILogger logger, string applianceId, string topic);

        [LoggerMessage(1007, LogLevel.Warning, "Appliance {ApplianceId} sent a bad control message: {Error}")]
        public static partial void BadControl(ILogger logger, string applianceId, string error);

        [LoggerMessage(1008, LogLevel.Error, "Handling a message from {ApplianceId} failed")]
        public static partial void HandlerFailed(ILogger logger, string applianceId, Exception exception);

        [LoggerMessage(1009, LogLevel.Warning, "Appliance {ApplianceId} is not connected (or its queue is full): {Message} not sent")]
        public static partial void ControlUndeliverable(ILogger logger, string applianceId, string message);

        [LoggerMessage(1010, LogLevel.Warning, "Appliance {ApplianceId} refused: its certificate {Serial} is {Standing}")]
        public static partial void CertificateRefused(ILogger logger, string applianceId, string serial, CertificateStanding standing);

        [LoggerMessage(1011, LogLevel.Information, "Appliance {ApplianceId} renewed its certificate: {Serial} until {NotAfter:u}")]
        public static partial void Renewed(ILogger logger, string applianceId, string serial, DateTimeOffset notAfter);

        [LoggerMessage(1012, LogLevel.Warning, "Appliance {ApplianceId} renewal refused: {Reason}")]
        public static partial void RenewalRefused(ILogger logger, string applianceId, string reason);
    }
}
