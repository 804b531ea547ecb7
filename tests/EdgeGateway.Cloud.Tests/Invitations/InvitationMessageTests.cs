using EdgeGateway.Cloud.Invitations;
using MimeKit;

namespace EdgeGateway.Cloud.Tests.Invitations;

/// <summary>The invitation e-mail: the facts in both parts, and nothing a hostile session name can smuggle in.</summary>
[Trait("Area", "Support")]
public sealed class InvitationMessageTests
{
    private static readonly DateTimeOffset Expires = new(2026, 11, 30, 3, 12, 40, TimeSpan.Zero);

    private static InvitationContent Content(string sessionName = "Line 3 HMI frozen after update", string inviter = "Tom Technician") => new(
        inviter, sessionName, "HMI line 3", "123-456-7890", "https://cloud.example.com/#/invite/AbC-def_123", "https://cloud.example.com/#/join", Expires, TimeSpan.FromMinutes(15));

    [Fact]
    public void Both_parts_carry_who_session_endpoint_code_link_and_expiry()
    {
        var message = Build(Content());

        Assert.Equal("Invitation to the remote support session \"Line 3 HMI frozen after update\"", message.Subject);
        foreach (var part in new[] { message.TextBody, message.HtmlBody })
        {
            Assert.Contains("Tom Technician", part, StringComparison.Ordinal);
            Assert.Contains("Line 3 HMI frozen after update", part, StringComparison.Ordinal);
            Assert.Contains("HMI line 3", part, StringComparison.Ordinal);
            Assert.Contains("123-456-7890", part, StringComparison.Ordinal);
            Assert.Contains("https://cloud.example.com/#/invite/AbC-def_123", part, StringComparison.Ordinal);
            Assert.Contains("2026-11-30 03:12 UTC (valid for 15 minutes)", part, StringComparison.Ordinal);
            Assert.Contains("https://cloud.example.com/#/join", part, StringComparison.Ordinal);
        }

        Assert.Contains("<a href=\"https://cloud.example.com/#/invite/AbC-def_123\"", message.HtmlBody, StringComparison.Ordinal);
        Assert.Equal("support@example.com", message.From.Mailboxes.Single().Address);
        Assert.Equal("anna@plant.test", message.To.Mailboxes.Single().Address);
    }

    [Fact]
    public void A_hostile_session_name_is_escaped_in_html_and_cannot_add_headers_or_lines()
    {
        const string Hostile = "<script>alert('x')</script> & \"quoted\"\r\nBcc: victim@evil.test\r\n\r\n<img src=x onerror=alert(1)>";
        var message = Build(Content(Hostile, inviter: "Eve <b>bold</b>"));

        Assert.DoesNotContain("<script>", message.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", message.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot; Bcc: victim@evil.test &lt;img", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Eve &lt;b&gt;bold&lt;/b&gt;", message.HtmlBody, StringComparison.Ordinal);

        // Round trip through the wire format: one recipient, no Bcc, the subject on one line.
        using var wire = new MemoryStream();
        message.WriteTo(wire);
        wire.Position = 0;
        var parsed = MimeMessage.Load(wire);
        Assert.Empty(parsed.Bcc);
        Assert.Single(parsed.To.Mailboxes);
        Assert.DoesNotContain('\n', parsed.Subject!);
        Assert.DoesNotContain('\r', parsed.Subject!);
        Assert.Contains("Bcc: victim@evil.test", parsed.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain(parsed.TextBody!.Split('\n'), line => line.StartsWith("Bcc:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_link_with_quotes_cannot_break_out_of_its_attribute()
    {
        var content = Content() with { Url = "https://cloud.example.com/#/invite/x\" onclick=\"alert(1)" };

        var html = InvitationMessage.Html(content);

        Assert.DoesNotContain("\" onclick=\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://cloud.example.com/#/invite/x&quot; onclick=&quot;alert(1)\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_names_are_cut()
    {
        var text = InvitationMessage.Text(Content(new string('n', 5000)));

        Assert.Contains(new string('n', InvitationMessage.MaxNameLength - 1) + "…", text, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('n', InvitationMessage.MaxNameLength), text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, "valid for 1 minute")]
    [InlineData(15, "valid for 15 minutes")]
    [InlineData(1440, "valid for 1440 minutes")]
    public void Validity_in_whole_minutes(int minutes, string expected) =>
        Assert.Equal(expected, InvitationMessage.ValidFor(TimeSpan.FromMinutes(minutes) - TimeSpan.FromSeconds(0.4)));

    private static MimeMessage Build(InvitationContent content) =>
        InvitationMessage.Build(content, MailboxAddress.Parse("Remote Support <support@example.com>"), MailboxAddress.Parse("anna@plant.test"));
}
