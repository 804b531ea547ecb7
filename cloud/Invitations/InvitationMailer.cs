using System.Net;
using System.Net.Sockets;
using EdgeGateway.Cloud.Configuration;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EdgeGateway.Cloud.Invitations;

/// <summary>The outcome of one send: delivered to the mail server, or why not (<see cref="Reason"/> for the audit, <see cref="Sentence"/> for the technician).</summary>
public sealed record MailResult(bool Sent, string? Reason = null, string? Sentence = null)
{
    public static readonly MailResult Delivered = new(true);

    public static MailResult Failed(string reason, string why) =>
        new(false, reason, $"The invitation could not be sent: {why}. Copy the link instead.");
}

/// <summary>
/// Hands invitation e-mails to the configured SMTP server (<see cref="SmtpOptions"/>) with MailKit: one connection per
/// message (invitations are rare; a pooled connection would only go stale), the whole send — connect, TLS, sign-in,
/// message — bounded by <see cref="SmtpOptions.Timeout"/>. Expected failures (server down, sign-in refused, no STARTTLS,
/// address refused, timeout) are results with a sentence the technician sees, never exceptions. The password is
/// handed to MailKit only and never logged; nothing of the message (which holds the link's key) is logged either.
/// </summary>
public sealed partial class InvitationMailer(IOptions<CloudOptions> options, TimeProvider time, ILogger<InvitationMailer> logger)
{
    private readonly SmtpOptions _smtp = options.Value.Smtp;

    /// <summary>A mail server is configured (<c>Cloud:Smtp:Host</c>).</summary>
    public bool Enabled => _smtp.Enabled;

    /// <summary>The sender address (<c>Cloud:Smtp:From</c>); only valid when <see cref="Enabled"/>.</summary>
    public MailboxAddress From => MailboxAddress.Parse(_smtp.From);

    /// <summary>Sends <paramref name="message"/>; completes within <see cref="SmtpOptions.Timeout"/> (plus the time to close a socket).</summary>
    public async Task<MailResult> SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!Enabled)
        {
            return new MailResult(false, "mail-off", "E-mail is not set up on this cloud; copy the link instead.");
        }

        using var deadline = new CancellationTokenSource(_smtp.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var started = time.GetTimestamp();
        using var client = new SmtpClient { Timeout = (int)_smtp.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(_smtp.Host, _smtp.Port, SecureSocket(_smtp), linked.Token);
            var credentials = !string.IsNullOrEmpty(_smtp.UserName);
            if (credentials && !client.IsSecure && !_smtp.HostIsLoopback && !_smtp.AllowPlaintext)
            {
                // StartTls Auto against a server that offers no STARTTLS: the mail may go, the password may not.
                return Fail(MailResult.Failed("smtp-no-tls", "the mail server offers no STARTTLS, and the password is not sent to it in clear"), started);
            }

            if (credentials)
            {
                await client.AuthenticateAsync(new NetworkCredential(_smtp.UserName, _smtp.Password), linked.Token);
            }

            await client.SendAsync(message, linked.Token);
            await client.DisconnectAsync(quit: true, linked.Token);
            Log.Sent(logger, _smtp.Host, _smtp.Port, client.IsSecure, time.GetElapsedTime(started).TotalMilliseconds);
            return MailResult.Delivered;
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && deadline.IsCancellationRequested))
        {
            // Our deadline, or MailKit's own read timeout (set to the same time) when it fires first.
            return Fail(MailResult.Failed("smtp-timeout", $"the mail server did not answer within {_smtp.Timeout.TotalSeconds:0} s"), started);
        }
        catch (Exception ex) when (Classify(ex, _smtp) is { } failure)
        {
            Log.Failed(logger, _smtp.Host, _smtp.Port, failure.Reason!, ex.GetType().Name, ex.Message);
            return failure;
        }
    }

    /// <summary>STARTTLS per setting; port 465 is TLS from the first byte (RFC 8314).</summary>
    internal static SecureSocketOptions SecureSocket(SmtpOptions smtp) => smtp switch
    {
        { StartTls: SmtpStartTls.None } => SecureSocketOptions.None,
        { Port: 465 } => SecureSocketOptions.SslOnConnect,
        { StartTls: SmtpStartTls.Always } => SecureSocketOptions.StartTls,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };

    /// <summary>The failure an exception of a send means, or null for a bug (which then propagates).</summary>
    internal static MailResult? Classify(Exception exception, SmtpOptions smtp) => exception switch
    {
        AuthenticationException => MailResult.Failed("smtp-auth", "the mail server refused the sign-in"),
        ServiceNotAuthenticatedException => MailResult.Failed("smtp-auth-required", "the mail server requires a sign-in, and none is set up"),
        SslHandshakeException => MailResult.Failed("smtp-tls", "the TLS handshake with the mail server failed (is its certificate trusted by this cloud?)"),
        NotSupportedException when smtp.StartTls == SmtpStartTls.Always => MailResult.Failed("smtp-no-starttls", "the mail server does not offer STARTTLS, which this cloud requires"),
        SmtpCommandException { ErrorCode: SmtpErrorCode.RecipientNotAccepted } => MailResult.Failed("smtp-recipient", "the mail server refused the address"),
        SmtpCommandException { ErrorCode: SmtpErrorCode.SenderNotAccepted } => MailResult.Failed("smtp-sender", "the mail server refused the sender address set up on this cloud"),
        SmtpCommandException command => MailResult.Failed("smtp-refused", $"the mail server refused it ({(int)command.StatusCode})"),
        SocketException => MailResult.Failed("smtp-unreachable", $"the mail server {smtp.Host}:{smtp.Port} cannot be reached"),
        SmtpProtocolException or IOException => MailResult.Failed("smtp-broken", "the connection to the mail server broke off"),
        _ => null,
    };

    private MailResult Fail(MailResult failure, long started)
    {
        Log.Failed(logger, _smtp.Host, _smtp.Port, failure.Reason!, "-", $"after {time.GetElapsedTime(started).TotalMilliseconds:0} ms");
        return failure;
    }
}
