using EdgeGateway.Cloud.Configuration;
using Microsoft.Extensions.Configuration;

namespace EdgeGateway.Cloud.Tests.Configuration;

/// <summary>
/// Options are bound from configuration keys as the host binds them (appsettings, <c>Cloud__Broker__Port</c>, …), so
/// each case names a wrong value by its key and expects the start-up message to name that key.
/// </summary>
[Trait("Area", "Ssh")]
public sealed class CloudOptionsValidatorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Defaults_validate()
    {
        var result = new CloudOptionsValidator().Validate(null, new CloudOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Shipped_appsettings_validate()
    {
        // From the source tree: the test output holds the appliance's appsettings.json as well as the cloud's.
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(RepositoryRoot(), "cloud", "appsettings.json"), optional: false)
            .Build();

        var result = Validate(configuration);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("Cloud:LoginsPerMinute", "0")]
    [InlineData("Cloud:DataDirectory", "")]
    [InlineData("Cloud:DataDirectory", "   ")]
    [InlineData("Cloud:Broker:BindAddress", "not-an-address")]
    [InlineData("Cloud:Broker:BindAddress", "localhost")]
    [InlineData("Cloud:Broker:Port", "0")]
    [InlineData("Cloud:Broker:Port", "-1")]
    [InlineData("Cloud:Broker:Port", "65536")]
    [InlineData("Cloud:Broker:MaxPendingMessagesPerClient", "9")]
    [InlineData("Cloud:Sessions:StartTimeout", "00:00:00")]
    [InlineData("Cloud:Sessions:ApplianceGrace", "00:00:00")]
    [InlineData("Cloud:Sessions:ApplianceGrace", "02:00:00")]
    [InlineData("Cloud:Sessions:StartTimeout", "-00:00:01")]
    [InlineData("Cloud:Sessions:ViewerQueueFrames", "7")]
    [InlineData("Cloud:Sessions:ViewerQueueBytes", "65535")]
    [InlineData("Cloud:Sessions:KeyframeCacheBytes", "65535")]
    [InlineData("Cloud:Sessions:MaxPasteBytes", "65535")]
    [InlineData("Cloud:Sessions:MaxPasteBytes", "1073741825")]
    [InlineData("Cloud:Tls:CertificatePath", "/nonexistent/server.pem")]
    [InlineData("Cloud:Tls:KeyPath", "/nonexistent/server.key")]
    public void Wrong_value_is_rejected_with_a_message_naming_its_key(string key, string value)
    {
        var result = Validate(Configuration((key, value)));

        Assert.True(result.Failed);
        Assert.Contains(result.Failures, failure => failure.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public void Certificate_without_key_is_rejected()
    {
        var certificate = _temp.File("server.pem", "-----BEGIN CERTIFICATE-----");

        var result = Validate(Configuration(("Cloud:Tls:CertificatePath", certificate)));

        Assert.True(result.Failed);
        Assert.Contains(result.Failures, failure => failure.Contains("Cloud:Tls:KeyPath", StringComparison.Ordinal));
    }

    [Fact]
    public void Key_without_certificate_is_rejected()
    {
        var key = _temp.File("server.key", "-----BEGIN PRIVATE KEY-----");

        var result = Validate(Configuration(("Cloud:Tls:KeyPath", key)));

        Assert.True(result.Failed);
        Assert.Contains(result.Failures, failure => failure.Contains("Cloud:Tls:CertificatePath", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_key_file_is_rejected_by_its_key()
    {
        var certificate = _temp.File("server.pem", "-----BEGIN CERTIFICATE-----");

        var result = Validate(Configuration(("Cloud:Tls:CertificatePath", certificate), ("Cloud:Tls:KeyPath", _temp.Combine("missing.key"))));

        Assert.True(result.Failed);
        Assert.Equal(["Cloud:Tls:KeyPath"], result.Failures!.Select(f => f[..f.IndexOf(' ', StringComparison.Ordinal)]));
    }

    [Fact]
    public void Existing_certificate_and_key_validate()
    {
        var certificate = _temp.File("server.pem", "-----BEGIN CERTIFICATE-----");
        var key = _temp.File("server.key", "-----BEGIN PRIVATE KEY-----");

        var result = Validate(Configuration(("Cloud:Tls:CertificatePath", certificate), ("Cloud:Tls:KeyPath", key)));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Smallest_allowed_values_validate()
    {
        var result = Validate(Configuration(
            ("Cloud:Broker:BindAddress", "::"),
            ("Cloud:Broker:Port", "1"),
            ("Cloud:Broker:MaxPendingMessagesPerClient", "10"),
            ("Cloud:Sessions:StartTimeout", "00:00:00.001"),
            ("Cloud:Sessions:ViewerQueueFrames", "8"),
            ("Cloud:Sessions:ViewerQueueBytes", "65536"),
            ("Cloud:Sessions:KeyframeCacheBytes", "65536")));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Every_wrong_value_is_reported_at_once()
    {
        var result = Validate(Configuration(
            ("Cloud:Broker:Port", "0"),
            ("Cloud:Sessions:ViewerQueueFrames", "1"),
            ("Cloud:Sessions:KeyframeCacheBytes", "1")));

        Assert.Equal(3, result.Failures!.Count());
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EdgeGateway.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("EdgeGateway.sln not found above " + AppContext.BaseDirectory);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(IConfiguration configuration)
    {
        var options = new CloudOptions();
        configuration.GetSection(CloudOptions.Section).Bind(options);
        return new CloudOptionsValidator().Validate(null, options);
    }
}
