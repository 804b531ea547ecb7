using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Protocol.Topics;
using EdgeGateway.Protocol.Trust;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeGateway.Appliance.Uplink;

/// <summary>
/// MQTT 5 over TLS to the cloud with the appliance's client certificate. Dials out only; reconnects with
/// back-off forever; subscribes to its own <c>down/#</c> tree and announces itself with <see cref="Hello"/>.
/// </summary>
internal sealed partial class MqttUplink : BackgroundService, IUplink
{
    private const int MaxQueuedControl = 1000;

    private readonly ApplianceOptions _options;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<MqttUplink> _logger;
    private readonly IMqttClient _client;
    private readonly Queue<ControlMessage> _pendingControl = new();
    private readonly Lock _pendingLock = new();
    private readonly SemaphoreSlim _reconnectSignal = new(0, 1);
    private IDownlinkHandler? _handler;
    private volatile bool _ready;
    private volatile TopicAliases _aliases = TopicAliases.None;

    public MqttUplink(IOptions<ApplianceOptions> options, IServiceProvider services, TimeProvider time, ILogger<MqttUplink> logger)
    {
        _options = options.Value;
        _services = services;
        _time = time;
        _logger = logger;
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
    }

    public bool IsConnected => _ready && _client.IsConnected;

    private IDownlinkHandler Handler => _handler ??= _services.GetRequiredService<IDownlinkHandler>();

    public async ValueTask<bool> PublishFrameAsync(string topic, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (!IsConnected)
        {
            return false;
        }

        // QoS 0: a lost frame is repaired by a keyframe; waiting for acks would add a round trip per keystroke.
        var (name, alias) = _aliases.For(topic);
        var message = new MqttApplicationMessage
        {
            Topic = name,
            TopicAlias = alias,
            Payload = new ReadOnlySequence<byte>(frame),
            QualityOfServiceLevel = MqttQualityOfServiceLevel.AtMostOnce,
        };
        try
        {
            await _client.PublishAsync(message, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException or ObjectDisposedException)
        {
            return false;
        }
    }

    public async ValueTask PublishControlAsync(ControlMessage message, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (IsConnected && attempt <= 2)
            {
                try
                {
                    await PublishControlNowAsync(message, cancellationToken);
                    return;
                }
                catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException)
                {
                    Log.ControlQueued(_logger, message.GetType().Name);
                }
            }

            lock (_pendingLock)
            {
                // Ready since the check above means the queue was already flushed: queueing now would strand it.
                if (IsConnected && attempt < 2)
                {
                    continue;
                }

                if (_pendingControl.Count >= MaxQueuedControl)
                {
                    _pendingControl.Dequeue();
                    Log.ControlQueueFull(_logger, MaxQueuedControl);
                }

                _pendingControl.Enqueue(message);
                return;
            }
        }
    }

    private async Task PublishControlNowAsync(ControlMessage message, CancellationToken cancellationToken) =>
        await _client.PublishAsync(
            new MqttApplicationMessage
            {
                Topic = TopicMap.UpControl(_options.Id),
                Payload = new ReadOnlySequence<byte>(ControlCodec.Encode(message)),
                QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
                ContentType = "application/json",
            },
            cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new ReconnectBackoff(_options.Cloud.ReconnectMinDelay, _options.Cloud.ReconnectMaxDelay);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ConnectAsync(stoppingToken);
                backoff.Reset();
                Log.Connected(_logger, _options.Cloud.Host, _options.Cloud.MqttPort);

                // Wait until the link drops, then go round again.
                await _reconnectSignal.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _ready = false;
                var delay = backoff.Next();
                Log.ConnectFailed(_logger, _options.Cloud.Host, _options.Cloud.MqttPort, ex.GetBaseException().Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        _ready = false;
        var started = _time.GetTimestamp();
        var cloud = _options.Cloud;
        using var authority = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(cloud.AuthorityPath, cancellationToken));
        var authorityCopy = X509CertificateLoader.LoadCertificate(authority.RawData);
        var clientCertificate = X509Certificate2.CreateFromPemFile(cloud.CertificatePath, cloud.KeyPath);

        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(cloud.Host, cloud.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(_options.Id)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(cloud.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(15))
            .WithTlsOptions(tls => tls
                .UseTls()
                .WithTargetHost(cloud.Host)
                .WithClientCertificates([clientCertificate])
                .WithTrustChain([authorityCopy])
                .WithCertificateValidationHandler(e => ValidateServer(e, authorityCopy)))
            .Build();

        Log.Step(_logger, "certificates loaded", _time.GetElapsedTime(started).TotalMilliseconds);
        var connected = await _client.ConnectAsync(options, cancellationToken);
        _aliases = new TopicAliases(connected.TopicAliasMaximum); // aliases are per connection: start afresh
        Log.Step(_logger, "TLS and MQTT connected", _time.GetElapsedTime(started).TotalMilliseconds);
        await _client.SubscribeAsync(
            new MqttClientSubscribeOptionsBuilder().WithTopicFilter(TopicMap.DownFilter(_options.Id), MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            cancellationToken);
        Log.Step(_logger, "subscribed", _time.GetElapsedTime(started).TotalMilliseconds);

        // What happened while the link was down goes first: a session the appliance ended meanwhile reaches the
        // cloud with its own reason (SessionEnded) before the Hello, which then lists only what still runs.
        await FlushPendingAsync(ready: false, cancellationToken);
        var endpoints = _options.Endpoints.Select(e => new EndpointInfo(e.Id, e.Name.Length > 0 ? e.Name : e.Id, e.Protocol, e.Host, e.Port)).ToList();
        await PublishControlNowAsync(new Hello(ThisAssembly.Version, endpoints, Handler.ActiveSessionIds), cancellationToken);
        Log.Step(_logger, "hello acknowledged", _time.GetElapsedTime(started).TotalMilliseconds);
        await FlushPendingAsync(ready: true, cancellationToken);
        await Handler.OnConnectedAsync(cancellationToken);
    }

    /// <summary>
    /// Publishes the queued control messages. With <paramref name="ready"/>, the uplink is marked ready in the same
    /// lock as the queue is taken, so that a message is either in this batch or published directly, never stranded.
    /// </summary>
    private async Task FlushPendingAsync(bool ready, CancellationToken cancellationToken)
    {
        ControlMessage[] pending;
        lock (_pendingLock)
        {
            pending = [.. _pendingControl];
            _pendingControl.Clear();
            _ready = ready;
        }

        for (var i = 0; i < pending.Length; i++)
        {
            try
            {
                await PublishControlNowAsync(pending[i], cancellationToken);
            }
            catch
            {
                // The link dropped again: what was not sent waits for the next connection, in its order.
                lock (_pendingLock)
                {
                    _ready = false;
                    var rest = pending[i..].Concat(_pendingControl).ToArray();
                    _pendingControl.Clear();
                    foreach (var message in rest)
                    {
                        _pendingControl.Enqueue(message);
                    }
                }

                throw;
            }
        }
    }

    private bool ValidateServer(MqttClientCertificateValidationEventArgs e, X509Certificate2 authority)
    {
        if ((e.SslPolicyErrors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            Log.ServerRejected(_logger, e.SslPolicyErrors.ToString());
            return false;
        }

        if (!PinnedCertificateAuthority.Validate(e.Certificate, authority, PinnedCertificateAuthority.ServerAuthOid, out var error))
        {
            Log.ServerRejected(_logger, error!);
            return false;
        }

        return true;
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (e.ClientWasConnected)
        {
            _ready = false;
            Log.Disconnected(_logger, e.Reason.ToString(), e.Exception?.GetBaseException().Message ?? e.ReasonString ?? string.Empty);
            Handler.OnDisconnected();
            if (_reconnectSignal.CurrentCount == 0)
            {
                _reconnectSignal.Release();
            }
        }

        return Task.CompletedTask;
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var message = e.ApplicationMessage;
        if (!TopicMap.TryParse(message.Topic, out var topic) || topic.ApplianceId != _options.Id || topic.Direction != TopicDirection.Down)
        {
            Log.UnexpectedTopic(_logger, message.Topic);
            return;
        }

        try
        {
            if (topic.Kind == TopicKind.Stream)
            {
                string? sender = null;
                if (message.UserProperties is { } properties)
                {
                    foreach (var p in properties)
                    {
                        if (p.Name == StreamProperties.Sender)
                        {
                            sender = p.ReadValueAsString();
                        }
                    }
                }

                await Handler.OnInputAsync(topic.SessionId!, sender, message.Payload, CancellationToken.None);
                return;
            }

            var bytes = message.Payload.IsSingleSegment ? message.Payload.FirstSpan : message.Payload.ToArray();
            if (!ControlCodec.TryDecode(bytes, out var control, out var error))
            {
                Log.BadControl(_logger, error!);
                return;
            }

            await Handler.OnControlAsync(control!, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bad message must never take the uplink down.
            Log.HandlerFailed(_logger, ex);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), cancellationToken);
            }
            catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
            {
                // Already gone; nothing to tell the cloud.
            }
        }
    }

    public override void Dispose()
    {
        _client.Dispose();
        _reconnectSignal.Dispose();
        base.Dispose();
    }
}
