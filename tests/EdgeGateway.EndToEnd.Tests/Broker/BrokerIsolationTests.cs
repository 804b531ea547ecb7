using System.Buffers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.EndToEnd.Tests.Ssh;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Protocol.Topics;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeGateway.EndToEnd.Tests.Broker;

/// <summary>
/// The broker's rules against a hostile appliance: only certificates from the cloud's CA, the client id must
/// be the certificate's, and an appliance reaches only its own topics.
/// </summary>
[Trait("Area", "Ssh")]
[Collection(SshCollection.Name)]
public sealed class BrokerIsolationTests(SshStackFixture fixture)
{
    private EdgeGatewayStack Stack => fixture.Stack;

    [Fact]
    public async Task An_appliance_cannot_publish_or_subscribe_under_another_appliances_prefix()
    {
        using var client = await ConnectAsync("intruder-1", "intruder-1", Issue("intruder-1"));
        var victim = EdgeGatewayStack.ApplianceId;

        var subscribe = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(TopicMap.DownFilter(victim)).Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, subscribe.Items.Single().ResultCode);
        var wildcard = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("eg/v1/#").Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, wildcard.Items.Single().ResultCode);

        // A forged "the device refused" for the victim, and a forged Hello claiming its endpoints.
        var forged = await client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(TopicMap.UpControl(victim))
            .WithPayload(ControlCodec.Encode(new Hello("evil", [new EndpointInfo("evil", "Evil", "ssh", "10.0.0.1", 22)], [])))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, forged.ReasonCode);

        var injected = await client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(TopicMap.DownStream(victim, TopicMap.NewSessionId()))
            .WithPayload(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 0, "rm -rf /\r"u8))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, injected.ReasonCode);

        var endpoints = Stack.Cloud.Services.GetRequiredService<ApplianceRegistry>().List().Single(a => a.Id == victim).Endpoints;
        Assert.DoesNotContain(endpoints, e => e.Id == "evil");
    }

    [Fact]
    public async Task A_client_id_that_is_not_the_certificates_is_refused_and_does_not_displace_the_real_appliance()
    {
        var registry = Stack.Cloud.Services.GetRequiredService<ApplianceRegistry>();
        var announced = registry.Announcements(EdgeGatewayStack.ApplianceId);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync("intruder-2", EdgeGatewayStack.ApplianceId, Issue("intruder-2")));
        Assert.Contains("ClientIdentifierNotValid", error.Message, StringComparison.Ordinal);
        Assert.True(registry.IsOnline(EdgeGatewayStack.ApplianceId));
        Assert.Equal(announced, registry.Announcements(EdgeGatewayStack.ApplianceId));
    }

    [Fact]
    public async Task A_certificate_from_another_authority_cannot_connect()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + EdgeGatewayStack.ApplianceId, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));

        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync("impostor", EdgeGatewayStack.ApplianceId, X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pkcs12), null)));
        Assert.True(Stack.Cloud.Services.GetRequiredService<ApplianceRegistry>().IsOnline(EdgeGatewayStack.ApplianceId));
    }

    private X509Certificate2 Issue(string applianceId)
    {
        var authority = Stack.Cloud.Services.GetRequiredService<CertificateAuthority>();
        var (cert, key) = authority.IssueAppliance(applianceId, TimeSpan.FromHours(1));
        using var pem = X509Certificate2.CreateFromPem(cert, key);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private Task<IMqttClient> ConnectAsync(string name, string clientId, X509Certificate2 certificate)
    {
        _ = name;
        return MqttTestClient.ConnectAsync(Stack.Cloud.Services.GetRequiredService<IOptions<CloudOptions>>().Value.Broker.Port, Stack.Authority, certificate, clientId);
    }
}
