namespace EdgeGateway.Cloud.Invitations;

public sealed partial class InvitationMailer
{
    private static partial class Log
    {
        [LoggerMessage(5200, LogLevel.Information, "Invitation e-mail handed to {Host}:{Port} (TLS: {Secure}) in {Milliseconds:0} ms")]
        public static partial void Sent(ILogger logger, string host, int port, bool secure, double milliseconds);

        [LoggerMessage(5201, LogLevel.Warning, "Invitation e-mail not sent through {Host}:{Port}: {Reason} ({ExceptionType}: {Detail})")]
        public static partial void Failed(ILogger logger, string host, int port, string reason, string exceptionType, string detail);
    }
}
