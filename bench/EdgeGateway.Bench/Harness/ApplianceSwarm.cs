using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Topics;
using EdgeGateway.Protocol.Trust;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeGateway.Bench.Harness;

/// <summary>
/// Simulated appliances: real MQTT 5 / mutual-TLS connections with real certificates from the cloud's CA, each doing
/// what an appliance does on connect (subscribe to its down/# tree, publish Hello at QoS 1) and then staying idle with
/// the appliance's keep-alive. Hosted in the harness process, so the cloud's memory is the cloud's.
/// </summary>
public sealed class ApplianceSwarm : IAsyncDisposable
{
    private readonly ConcurrentBag<IMqttClient> _clients = [];

    private ApplianceSwarm()
    {
    }

    /// <summary>Connected and Hello acknowledged.</summary>
    public int Connected => _clients.Count;

    public int Failed { get; private set; }

    public string? FirstError { get; private set; }

    /// <summary>Per appliance: TCP connect to Hello acknowledged, ms.</summary>
    public List<double> OnlineMs { get; } = [];

    /// <summary>From the first connect to the last Hello acknowledged.</summary>
    public TimeSpan Took { get; private set; }

    public TimeSpan IssueTook { get; private set; }

    public static async Task<ApplianceSwarm> ConnectAsync(CloudProcess cloud, string prefix, int count, int concurrency, TimeSpan keepAlive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cloud);
        var swarm = new ApplianceSwarm();

        // Certificates first (not part of the connect rate): P-256 keys signed by the cloud's CA.
        var issue = Stopwatch.StartNew();
        var identities = new (string Id, X509Certificate2 Certificate)[count];
        Parallel.For(0, count, i =>
        {
            var id = $"{prefix}-{i:D5}";
            var (cert, key) = cloud.Authority.IssueAppliance(id, TimeSpan.FromDays(1));
            identities[i] = (id, X509Certificate2.CreateFromPem(cert, key));
        });
        swarm.IssueTook = issue.Elapsed;

        var authority = cloud.AuthorityCertificate;
        var factory = new MqttClientFactory();
        var samples = new ConcurrentBag<double>();
        var failures = 0;
        string? firstError = null;
        using var gate = new SemaphoreSlim(concurrency);
        var started = Stopwatch.StartNew();
        await Task.WhenAll(identities.Select(async identity =>
        {
            await gate.WaitAsync(cancellationToken);
            var client = factory.CreateMqttClient();
            try
            {
                var t0 = Stopwatch.GetTimestamp();
                var options = new MqttClientOptionsBuilder()
                    .WithTcpServer("127.0.0.1", cloud.BrokerPort)
                    .WithProtocolVersion(MqttProtocolVersion.V500)
                    .WithClientId(identity.Id)
                    .WithCleanStart(true)
                    .WithKeepAlivePeriod(keepAlive)
                    .WithTimeout(TimeSpan.FromSeconds(60))
                    .WithTlsOptions(tls => tls
                        .UseTls()
                        .WithTargetHost("127.0.0.1")
                        .WithClientCertificates([identity.Certificate])
                        .WithCertificateValidationHandler(e => PinnedCertificateAuthority.Validate(e.Certificate, authority, PinnedCertificateAuthority.ServerAuthOid, out _)))
                    .Build();
                await client.ConnectAsync(options, cancellationToken);
                await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(TopicMap.DownFilter(identity.Id), MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
                var hello = new Hello("bench", [new EndpointInfo("device-ssh", "Simulated device", "ssh", "10.0.0.1", 22)], []);
                await client.PublishAsync(
                    new MqttApplicationMessage
                    {
                        Topic = TopicMap.UpControl(identity.Id),
                        Payload = new ReadOnlySequence<byte>(ControlCodec.Encode(hello)),
                        QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
                        ContentType = "application/json",
                    },
                    cancellationToken);
                samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                swarm._clients.Add(client);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref failures);
                Interlocked.CompareExchange(ref firstError, ex.GetBaseException().Message, null);
                client.Dispose();
            }
            finally
            {
                gate.Release();
            }
        }));
        swarm.Took = started.Elapsed;
        swarm.Failed = failures;
        swarm.FirstError = firstError;
        swarm.OnlineMs.AddRange(samples);
        return swarm;
    }

    public async ValueTask DisposeAsync()
    {
        // Polite DISCONNECTs, many at a time and briefly: after the measurements, only the teardown waits for them.
        using var gate = new SemaphoreSlim(256);
        await Task.WhenAll(_clients.Select(async client =>
        {
            await gate.WaitAsync();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Gone already.
            }
            finally
            {
                client.Dispose();
                gate.Release();
            }
        }));
    }
}
