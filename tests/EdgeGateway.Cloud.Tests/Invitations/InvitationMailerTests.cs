using System.Net;
using System.Net.Sockets;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Invitations;
using EdgeGateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EdgeGateway.Cloud.Tests.Invitations;

/// <summary>
/// <see cref="InvitationMailer"/> against a real SMTP server on loopback (<see cref="SmtpSink"/>): each way a mail
/// server can fail becomes its own reason and sentence, within the configured time.
/// </summary>
[Trait("Area", "Support")]
public sealed class InvitationMailerTests
{
    [Fact]
    public async Task A_message_reaches_the_server_with_the_sign_in()
    {
        await using var sink = await SmtpSink.StartAsync("mailer", "right");

        var result = await Mailer(sink.Port, user: "mailer", password: "right").SendAsync(Message(), CancellationToken.None);

        Assert.True(result.Sent, result.Sentence);
        Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Starttls_required_but_not_offered_is_refused_before_anything_is_sent()
    {
        await using var sink = await SmtpSink.StartAsync();

        var result = await Mailer(sink.Port, startTls: SmtpStartTls.Always).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(("smtp-no-starttls", "The invitation could not be sent: the mail server does not offer STARTTLS, which this cloud requires. Copy the link instead."), (result.Reason, result.Sentence));
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task A_server_that_requires_a_sign_in_when_none_is_set_up_says_so()
    {
        await using var sink = await SmtpSink.StartAsync("mailer", "right");

        var result = await Mailer(sink.Port).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(("smtp-auth-required", "The invitation could not be sent: the mail server requires a sign-in, and none is set up. Copy the link instead."), (result.Reason, result.Sentence));
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task A_server_that_never_answers_ends_within_the_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts (backlog) and never says a word
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var started = TimeProvider.System.GetTimestamp();
        var result = await Mailer(port, timeout: TimeSpan.FromSeconds(1)).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(("smtp-timeout", "The invitation could not be sent: the mail server did not answer within 1 s. Copy the link instead."), (result.Reason, result.Sentence));
        Assert.InRange(TimeProvider.System.GetElapsedTime(started), TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Mail_off_sends_nothing()
    {
        var mailer = new InvitationMailer(Options.Create(new CloudOptions()), TimeProvider.System, NullLogger<InvitationMailer>.Instance);

        var result = await mailer.SendAsync(Message(), CancellationToken.None);

        Assert.False(mailer.Enabled);
        Assert.Equal("mail-off", result.Reason);
    }

    private static InvitationMailer Mailer(int port, SmtpStartTls startTls = SmtpStartTls.Auto, string user = "", string password = "", TimeSpan? timeout = null) =>
        new(
            Options.Create(new CloudOptions
            {
                Smtp = new SmtpOptions
                {
                    Host = "127.0.0.1",
                    Port = port,
                    StartTls = startTls,
                    UserName = user,
                    Password = password,
                    From = "support@edgegateway.test",
                    Timeout = timeout ?? TimeSpan.FromSeconds(10),
                },
            }),
            TimeProvider.System,
            NullLogger<InvitationMailer>.Instance);

    private static MimeMessage Message()
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("support@edgegateway.test"));
        message.To.Add(MailboxAddress.Parse("anna@plant.test"));
        message.Subject = "test";
        message.Body = new TextPart("plain") { Text = "hello" };
        return message;
    }
}
