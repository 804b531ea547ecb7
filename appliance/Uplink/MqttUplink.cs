using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Pairing;
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
    private readonly IdentityProvider _identity;
    private IDownlinkHandler? _handler;
    private TaskCompletionSource<CertificateRenewed>? _renewal;
    private volatile bool _ready;
    private volatile TopicAliases _aliases = TopicAliases.None;

    public MqttUplink(IOptions<ApplianceOptions> options, IdentityProvider identity, IServiceProvider services, TimeProvider time, ILogger<MqttUplink> logger)
    {
        _options = options.Value;
        _identity = identity;
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
            ApplianceIdentity? identity = null;
            try
            {
                identity = await _identity.GetAsync(stoppingToken); // pairs first when there is no identity yet
                await ConnectAsync(identity, stoppingToken);
                backoff.Reset();
                Log.Connected(_logger, identity.MqttHost, identity.MqttPort);
                using var connection = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var renewal = RenewWhenDueAsync(identity, connection.Token);

                // Wait until the link drops, then go round again.
                await _reconnectSignal.WaitAsync(stoppingToken);
                await connection.CancelAsync();
                await renewal;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (MQTTnet.Adapter.MqttConnectingFailedException ex) when (_options.Pairs && ex.Message.Contains($"({MqttClientConnectResultCode.Banned})", StringComparison.Ordinal))
            {
                // Revoked or superseded: this identity is over. A paired appliance pairs again at the top of the loop (an
                // enrolled one goes on below: with back-off, until an operator replaces its files).
                _ready = false;
                _identity.Retire("banned");
                Log.ConnectFailed(_logger, identity?.MqttHost ?? "?", identity?.MqttPort ?? 0, "the cloud refused this appliance's certificate", 0);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _ready = false;
                var delay = backoff.Next();
                Log.ConnectFailed(_logger, identity?.MqttHost ?? "?", identity?.MqttPort ?? 0, ex.GetBaseException().Message, delay.TotalSeconds);
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

    private async Task ConnectAsync(ApplianceIdentity identity, CancellationToken cancellationToken)
    {
        _ready = false;
        var started = _time.GetTimestamp();
        var cloud = _options.Cloud;
        var authorityCopy = X509Certificate2.CreateFromPem(identity.Authority);
        var clientCertificate = identity.LoadCertificate();

        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(identity.MqttHost, identity.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(_options.Id)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(cloud.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(15))
            .WithTlsOptions(tls => tls
                .UseTls()
                .WithTargetHost(identity.MqttHost)
                .WithClientCertificates([clientCertificate])
                .WithTrustChain([authorityCopy])
                .WithCertificateValidationHandler(e => ValidateServer(e, authorityCopy)))
            .Build();

        Log.Step(_logger, "certificates loaded", _time.GetElapsedTime(started).TotalMilliseconds);
        var connected = await _client.ConnectAsync(options, cancellationToken);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new MQTTnet.Adapter.MqttConnectingFailedException($"Connecting with MQTT server failed ({connected.ResultCode}).", null!);
        }

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

            if (control is CertificateRenewed renewed)
            {
                _renewal?.TrySetResult(renewed);
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

    /// <summary>
    /// Renews the certificate once two thirds of its lifetime have passed (by this appliance's clock): a new key, a
    /// request over this connection, the answer stored as the identity, then a reconnect with it. Device sessions outlive
    /// the reconnect (it is a short uplink cut, well inside <c>Appliance:Cloud:SessionGrace</c>); viewers resume from a
    /// keyframe. A refusal or no answer is tried again a minute later.
    /// </summary>
    private async Task RenewWhenDueAsync(ApplianceIdentity identity, CancellationToken cancellationToken)
    {
        if (!_options.Pairs)
        {
            return; // an enrolled certificate is the operator's file: it is replaced by hand, not renewed
        }

        try
        {
            var renewAt = identity.RenewAfter();
            while (true)
            {
                // In steps of at most a day: a timer cannot wait 60 days, and the clock may be set meanwhile.
                for (var due = renewAt - _time.GetUtcNow(); due > TimeSpan.Zero; due = renewAt - _time.GetUtcNow())
                {
                    await Task.Delay(due < TimeSpan.FromDays(1) ? due : TimeSpan.FromDays(1), _time, cancellationToken);
                }

                Log.Renewing(_logger, identity.ApplianceId);

                using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
                var csr = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=" + identity.ApplianceId, key, System.Security.Cryptography.HashAlgorithmName.SHA256).CreateSigningRequestPem();
                var answer = new TaskCompletionSource<CertificateRenewed>(TaskCreationOptions.RunContinuationsAsynchronously);
                _renewal = answer;
                try
                {
                    using (var publish = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                    {
                        publish.CancelAfter(RetryAfter(identity));
                        try
                        {
                            await PublishControlNowAsync(new RenewCertificate(csr), publish.Token);
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                            throw new TimeoutException("the cloud did not acknowledge the renewal request");
                        }
                    }

                    var renewed = await answer.Task.WaitAsync(RetryAfter(identity), _time, cancellationToken);
                    if (renewed.Certificate is not { } certificate)
                    {
                        throw new InvalidDataException(renewed.Error ?? "refused");
                    }

                    _identity.Replace(certificate, key);
                }
                catch (Exception ex) when (ex is TimeoutException or InvalidDataException or System.Security.Cryptography.CryptographicException or ArgumentException)
                {
                    // No answer, a refusal, or a certificate that is not for this key and CA: keep the identity, ask again.
                    Log.RenewalRefused(_logger, ex.Message, RetryAfter(identity).TotalSeconds);
                    renewAt = _time.GetUtcNow() + RetryAfter(identity);
                    continue;
                }

                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), CancellationToken.None);
                return;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The link dropped: the next connection schedules the renewal again.
            if (!cancellationToken.IsCancellationRequested)
            {
                Log.RenewalRefused(_logger, ex.GetType().Name + ": " + ex.Message, 0);
            }
        }
    }

    /// <summary>How long to wait for an answer, and before asking again: a minute, less as expiry nears (at least 1 s).</summary>
    private TimeSpan RetryAfter(ApplianceIdentity identity)
    {
        var left = (identity.Validity().NotAfter - _time.GetUtcNow()) / 4;
        return left > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : left < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left;
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
