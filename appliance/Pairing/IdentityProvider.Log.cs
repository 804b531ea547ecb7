namespace EdgeGateway.Appliance.Pairing;

internal sealed partial class IdentityProvider
{
    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Information, "Pairing code: {UserCode}. Enter it in the cloud under Add appliance ({VerificationUri}); it works until {ExpiresAt:u}. Key SHA-256 {KeySha256}")]
        public static partial void Code(ILogger logger, string userCode, string verificationUri, DateTimeOffset expiresAt, string keySha256);

        [LoggerMessage(301, LogLevel.Information, "Paired: this appliance is {ApplianceId}; certificate {Serial} valid until {NotAfter:u}; broker {Host}:{Port}")]
        public static partial void Paired(ILogger logger, string applianceId, string serial, DateTimeOffset notAfter, string host, int port);

        [LoggerMessage(302, LogLevel.Information, "Pairing: {State}")]
        public static partial void State(ILogger logger, string state);

        [LoggerMessage(303, LogLevel.Warning, "Pairing with {Address} failed: {Reason}; retrying in {DelaySeconds:F1} s")]
        public static partial void Failed(ILogger logger, Uri address, string reason, double delaySeconds);

        [LoggerMessage(304, LogLevel.Information, "Identity loaded: appliance {ApplianceId}, certificate {Serial} valid until {NotAfter:u}")]
        public static partial void Loaded(ILogger logger, string applianceId, string serial, DateTimeOffset notAfter);

        [LoggerMessage(305, LogLevel.Warning, "The cloud refused this appliance's identity ({Reason}): it is set aside and the appliance pairs again")]
        public static partial void Retired(ILogger logger, string reason);

        [LoggerMessage(306, LogLevel.Information, "Certificate renewed: {Serial} valid until {NotAfter:u}")]
        public static partial void Renewed(ILogger logger, string serial, DateTimeOffset notAfter);
    }
}
