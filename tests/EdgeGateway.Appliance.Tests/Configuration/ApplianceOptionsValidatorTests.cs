using EdgeGateway.Appliance.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Appliance.Tests.Configuration;

/// <summary>
/// Options are bound from configuration keys as the host binds them (appsettings, <c>Appliance__Cloud__Host</c>, …):
/// each case names a wrong value by its key and expects the start-up message to name that key.
/// </summary>
[Trait("Area", "Ssh")]
public sealed class ApplianceOptionsValidatorTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "eg-appliance-tests-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string?> _valid;

    public ApplianceOptionsValidatorTests()
    {
        Directory.CreateDirectory(_folder);
        _valid = new(StringComparer.OrdinalIgnoreCase)
        {
            ["Appliance:Id"] = "plant-7",
            ["Appliance:Cloud:Host"] = "cloud.example.com",
            ["Appliance:Cloud:CertificatePath"] = Pem("appliance.pem"),
            ["Appliance:Cloud:KeyPath"] = Pem("appliance.key"),
            ["Appliance:Cloud:AuthorityPath"] = Pem("ca.pem"),
            ["Appliance:Endpoints:0:Id"] = "press",
            ["Appliance:Endpoints:0:Name"] = "Press line",
            ["Appliance:Endpoints:0:Host"] = "10.0.0.5",
            ["Appliance:Endpoints:1:Id"] = "oven",
            ["Appliance:Endpoints:1:Name"] = "Oven",
            ["Appliance:Endpoints:1:Host"] = "10.0.0.6",
            ["Appliance:Endpoints:1:Port"] = "2222",
        };
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Complete_configuration_validates()
    {
        var result = Validate(_valid);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Defaults_alone_name_every_required_key()
    {
        var result = new ApplianceOptionsValidator().Validate(null, new ApplianceOptions());

        Assert.True(result.Failed);
        // Factory-fresh, the appliance pairs: it needs the cloud's address and its CA, nothing else.
        foreach (var key in new[] { "Appliance:Cloud:Address", "Appliance:Cloud:AuthorityPath", "Appliance:Cloud:AuthoritySha256" })
        {
            Assert.Contains(result.Failures!, failure => failure.Contains(key, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("Appliance:Id", "")]
    [InlineData("Appliance:Id", "Plant-7")]
    [InlineData("Appliance:Id", "plant_7")]
    [InlineData("Appliance:Id", "-plant")]
    [InlineData("Appliance:Cloud:Host", "")]
    [InlineData("Appliance:Cloud:Host", "  ")]
    [InlineData("Appliance:Cloud:MqttPort", "0")]
    [InlineData("Appliance:Cloud:MqttPort", "65536")]
    [InlineData("Appliance:Cloud:CertificatePath", "")]
    [InlineData("Appliance:Cloud:CertificatePath", "/nonexistent/appliance.pem")]
    [InlineData("Appliance:Cloud:KeyPath", "/nonexistent/appliance.key")]
    [InlineData("Appliance:Cloud:AuthorityPath", "/nonexistent/ca.pem")]
    [InlineData("Appliance:Cloud:ReconnectMinDelay", "00:00:00")]
    [InlineData("Appliance:Cloud:ReconnectMinDelay", "00:01:00")] // above the 30 s maximum
    [InlineData("Appliance:Cloud:ReconnectMaxDelay", "00:00:00.5")] // below the 1 s minimum
    [InlineData("Appliance:Cloud:KeepAlive", "00:00:00")]
    [InlineData("Appliance:Cloud:KeepAlive", "1.00:00:00")] // above MQTT's 65,535 s
    [InlineData("Appliance:Cloud:SessionGrace", "00:00:00")]
    [InlineData("Appliance:Cloud:SessionGrace", "00:00:00.5")] // below 1 s
    [InlineData("Appliance:Cloud:SessionGrace", "02:00:00")] // a shell left open for hours is what the grace prevents
    [InlineData("Appliance:MaxSessions", "0")]
    [InlineData("Appliance:Endpoints:0:Id", "")]
    [InlineData("Appliance:Endpoints:0:Id", "Press")]
    [InlineData("Appliance:Endpoints:1:Id", "press")] // the same as endpoint 0
    [InlineData("Appliance:Endpoints:0:Protocol", "telnet")]
    [InlineData("Appliance:Endpoints:1:Host", "")]
    [InlineData("Appliance:Endpoints:0:Port", "0")]
    [InlineData("Appliance:Endpoints:1:Port", "70000")]
    [InlineData("Appliance:Terminal:BudgetBytesPerSecond", "999")]
    [InlineData("Appliance:Terminal:BudgetBytesPerSecond", "1000000001")]
    [InlineData("Appliance:Terminal:BurstBytes", "0")]
    [InlineData("Appliance:Terminal:SyncInterval", "00:00:00")]
    [InlineData("Appliance:Terminal:SyncInterval", "00:01:00")]
    [InlineData("Appliance:Liveness:Interval", "00:00:00.5")]
    [InlineData("Appliance:Liveness:Interval", "01:00:00")]
    [InlineData("Appliance:Liveness:CountMax", "0")]
    [InlineData("Appliance:Liveness:DoubtAfter", "00:00:00.05")]
    [InlineData("Appliance:Liveness:DoubtAfter", "00:00:11")] // above Interval × CountMax
    [InlineData("Appliance:Login:PromptTimeout", "00:00:04")]
    [InlineData("Appliance:Login:PromptTimeout", "00:31:00")]
    public void Wrong_value_is_rejected_with_a_message_naming_its_key(string key, string value)
    {
        var result = Validate(With(key, value));

        Assert.True(result.Failed, $"{key}={value} was accepted");
        Assert.Contains(result.Failures!, failure => failure.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public void Terminal_range_error_is_one_line_naming_the_key_and_the_value()
    {
        var failure = Assert.Single(Validate(With("Appliance:Terminal:BurstBytes", "512")).Failures!);

        Assert.StartsWith("Appliance:Terminal:BurstBytes 512 is out of range.", failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public void Every_wrong_value_is_reported_at_once()
    {
        var values = With("Appliance:Cloud:MqttPort", "0");
        values["Appliance:MaxSessions"] = "0";
        values["Appliance:Endpoints:1:Port"] = "0";

        var failures = Validate(values).Failures!.ToList();

        Assert.Equal(3, failures.Count);
    }

    [Fact]
    [Trait("Area", "Vnc")]
    public void A_vnc_endpoint_validates_and_defaults_to_port_5900()
    {
        var values = With("Appliance:Endpoints:0:Protocol", "vnc");
        values["Appliance:Vnc:UpdateTimeout"] = "00:00:10";

        Assert.True(Validate(values).Succeeded, Validate(values).FailureMessage);
        var options = Bind(values);
        Assert.Equal(5900, options.Endpoints[0].Port);
        Assert.Equal(22, new EndpointOptions().Port);
        Assert.Equal(2222, options.Endpoints[1].Port);
    }

    [Theory]
    [Trait("Area", "Vnc")]
    [InlineData("Appliance:Vnc:UpdateTimeout", "00:00:00.5")]
    [InlineData("Appliance:Vnc:ConnectTimeout", "01:00:00")]
    [InlineData("Appliance:Vnc:HandshakeTimeout", "00:00:00")]
    public void Wrong_vnc_value_is_rejected_with_its_key(string key, string value)
    {
        var result = Validate(With(key, value));

        Assert.True(result.Failed, $"{key}={value} was accepted");
        Assert.Contains(result.Failures!, failure => failure.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public void No_endpoints_is_allowed()
    {
        var values = new Dictionary<string, string?>(_valid.Where(pair => !pair.Key.StartsWith("Appliance:Endpoints", StringComparison.Ordinal)), StringComparer.OrdinalIgnoreCase);

        Assert.True(Validate(values).Succeeded);
    }

    [Fact]
    public void Shipped_appsettings_names_what_the_operator_must_fill_in()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EdgeGateway.sln")))
        {
            directory = directory.Parent;
        }

        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(directory!.FullName, "appliance", "appsettings.json")).Build();
        var options = new ApplianceOptions();
        configuration.GetSection(ApplianceOptions.Section).Bind(options);
        var failures = new ApplianceOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Equal(
            ["Appliance:Cloud:Address", "Appliance:Cloud:AuthorityPath"],
            failures.Select(f => f[..f.IndexOf(' ', StringComparison.Ordinal)]));
    }

    private Dictionary<string, string?> With(string key, string value) => new(_valid, StringComparer.OrdinalIgnoreCase) { [key] = value };

    private static ValidateOptionsResult Validate(Dictionary<string, string?> values) =>
        new ApplianceOptionsValidator().Validate(null, Bind(values));

    private static ApplianceOptions Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new ApplianceOptions();
        configuration.GetSection(ApplianceOptions.Section).Bind(options);
        return options;
    }

    private string Pem(string name)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, "-----BEGIN TEST-----\n-----END TEST-----\n");
        return path;
    }
}
