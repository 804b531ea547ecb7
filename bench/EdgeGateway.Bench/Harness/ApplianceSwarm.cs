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
/// what an appliance does on connect (subscribe to its down/# tree, publish Hello at QoS 1) and then staying idle,
/// sending a PINGREQ every keep-alive period. Hosted in the harness process, so the cloud's memory is the cloud's.
/// <para>
/// The pings come from one shared loop, not from each client: MQTTnet's client checks its keep-alive every 250 ms
/// with a <c>Task.Delay</c> of its own, which for 10,000 clients is 40,000 timers a second in the harness — CPU and
/// garbage on the 2 cores the cloud is measured on. The wire traffic the cloud sees is the same, but the CONNECTs
/// carry keep-alive 0, so the broker does not time these connections out.
/// </para>
/// </summary>
public sealed class ApplianceSwarm : IAsyncDisposable
{
    /// <summary>Ticks per keep-alive period: each tick pings the next slice of the clients.</summary>
    private const int Slices = 100;

    private readonly List<IMqttClient> _clients = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _pinger = Task.CompletedTask;
    private int _pingFailures;

    private ApplianceSwarm()
    {
    }

    /// <summary>Connected and Hello acknowledged.</summary>
    public int Connected
    {
        get
        {
            lock (_clients)
            {
                return _clients.Count;
            }
        }
    }

    /// <summary>PINGREQs that got no PINGRESP (or failed to send) so far.</summary>
    public int PingFailures => Volatile.Read(ref _pingFailures);

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
        swarm._pinger = swarm.PingAsync(keepAlive);

        var authority = cloud.AuthorityCertificate;
        var factory = new MqttClientFactory();
        var samples = new ConcurrentBag<double>();
        var failures = 0;
        string? firstError = null;
        using var gate = new SemaphoreSlim(concurrency);
        var started = Stopwatch.StartNew();
        var connecting = Task.WhenAll(identities.Select(async identity =>
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
                    .WithKeepAlivePeriod(TimeSpan.Zero) // pinged by PingAsync
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
                lock (swarm._clients)
                {
                    swarm._clients.Add(client);
                }
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
        try
        {
            await connecting;
        }
        catch
        {
            await swarm.DisposeAsync(); // stops the pinger and disconnects the clients connected so far
            throw;
        }

        swarm.Took = started.Elapsed;
        swarm.Failed = failures;
        swarm.FirstError = firstError;
        swarm.OnlineMs.AddRange(samples);
        return swarm;
    }

    /// <summary>Pings every connected client once per <paramref name="keepAlive"/>, a slice at a time.</summary>
    private async Task PingAsync(TimeSpan keepAlive)
    {
        using var timer = new PeriodicTimer(keepAlive / Slices);
        var slice = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                List<IMqttClient> due = [];
                lock (_clients)
                {
                    for (var i = slice; i < _clients.Count; i += Slices)
                    {
                        due.Add(_clients[i]);
                    }
                }

                slice = (slice + 1) % Slices;
                _ = Task.WhenAll(due.Select(async client =>
                {
                    try
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                        timeout.CancelAfter(keepAlive / 2);
                        await client.PingAsync(timeout.Token);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        if (!_stop.IsCancellationRequested)
                        {
                            Interlocked.Increment(ref _pingFailures);
                        }
                    }
                }));
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pinger;
        _stop.Dispose();
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
