using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Protocol.Trust;
using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeGateway.Testing;

/// <summary>A raw MQTT 5 client against the cloud's broker, for tests that play a (hostile) appliance.</summary>
public static class MqttTestClient
{
    /// <summary>Connects with <paramref name="certificate"/> as <paramref name="clientId"/>, trusting the cloud CA alone; throws with the reason code when refused.</summary>
    public static async Task<IMqttClient> ConnectAsync(int brokerPort, X509Certificate2 authority, X509Certificate2 certificate, string clientId)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", brokerPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithTlsOptions(tls => tls.UseTls().WithTargetHost("127.0.0.1").WithClientCertificates([certificate])
                .WithCertificateValidationHandler(e => PinnedCertificateAuthority.Validate(e.Certificate, authority, PinnedCertificateAuthority.ServerAuthOid, out _)))
            .Build();
        try
        {
            var result = await client.ConnectAsync(options);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException(result.ResultCode.ToString());
            }

            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
