using EdgeGateway.Cloud.Configuration;
using Microsoft.Extensions.Configuration;

namespace EdgeGateway.Cloud.Tests.Configuration;

/// <summary><c>Cloud:Smtp</c>: off without a host; secure by default (no plain SMTP to another host unless asked for in so many words).</summary>
[Trait("Area", "Support")]
public sealed class SmtpOptionsValidationTests
{
    private static readonly (string, string)[] Minimal = [("Cloud:Smtp:Host", "mail.example.com"), ("Cloud:Smtp:From", "Remote Support <support@example.com>")];

    [Fact]
    public void No_host_is_mail_off_and_validates_whatever_the_rest_says()
    {
        var result = Validate(("Cloud:Smtp:Port", "0"), ("Cloud:Smtp:From", "nonsense"), ("Cloud:Smtp:StartTls", "None"));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Host_and_sender_are_enough()
    {
        var options = Bind(Minimal);

        Assert.True(new CloudOptionsValidator().Validate(null, options).Succeeded);
        Assert.True(options.Smtp.Enabled);
        Assert.Equal(587, options.Smtp.Port);
        Assert.Equal(SmtpStartTls.Auto, options.Smtp.StartTls);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Smtp.Timeout);
    }

    [Theory]
    [InlineData("Cloud:Smtp:Port", "0")]
    [InlineData("Cloud:Smtp:Port", "65536")]
    [InlineData("Cloud:Smtp:From", "")]
    [InlineData("Cloud:Smtp:From", "not an address")]
    [InlineData("Cloud:Smtp:Timeout", "00:00:00.500")]
    [InlineData("Cloud:Smtp:Timeout", "00:05:00")]
    [InlineData("Cloud:Smtp:UserName", "mailer")]
    [InlineData("Cloud:Smtp:Password", "secret")]
    [InlineData("Cloud:Smtp:StartTls", "None")]
    public void Wrong_value_is_rejected_with_a_message_naming_its_key(string key, string value)
    {
        var result = Validate([.. Minimal, (key, value)]);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures, failure => failure.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(result.Failures, failure => failure.Contains("secret", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1", false, true)]
    [InlineData("localhost", false, true)]
    [InlineData("::1", false, true)]
    [InlineData("mail.example.com", false, false)]
    [InlineData("10.0.0.25", false, false)]
    [InlineData("mail.example.com", true, true)]
    public void Plain_smtp_only_to_loopback_or_when_allowed(string host, bool allowPlaintext, bool valid)
    {
        var result = Validate(("Cloud:Smtp:Host", host), ("Cloud:Smtp:From", "support@example.com"), ("Cloud:Smtp:StartTls", "None"), ("Cloud:Smtp:AllowPlaintext", allowPlaintext ? "true" : "false"));

        Assert.Equal(valid, result.Succeeded);
    }

    [Fact]
    public void The_password_never_shows_in_the_options_text()
    {
        var options = Bind([.. Minimal, ("Cloud:Smtp:UserName", "mailer"), ("Cloud:Smtp:Password", "hunter2-secret")]);

        Assert.DoesNotContain("hunter2", options.Smtp.ToString(), StringComparison.Ordinal);
    }

    private static CloudOptions Bind(params (string Key, string Value)[] values)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in values)
        {
            settings[key] = value; // a later value replaces an earlier one
        }

        var options = new CloudOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(CloudOptions.Section).Bind(options);
        return options;
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(params (string Key, string Value)[] values) =>
        new CloudOptionsValidator().Validate(null, Bind(values));
}
