using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Protocol.Topics;
using EdgeGateway.Protocol.Trust;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeGateway.Cloud.Broker;

/// <summary>
/// The embedded profile's MQTT 5 broker (MQTTnet), mutual TLS only. Appliances are identified by their client
/// certificate (CN = client id = appliance id) and confined to their own topic prefix. Everything an appliance
/// publishes is taken in the publish interceptor and handed straight to the cloud, and what the cloud sends is
/// queued straight to the one appliance's session: no message enters MQTTnet's general dispatch, whose cost per
/// message grows with the number of connected clients.
/// </summary>
internal sealed partial class EmbeddedBroker : IHostedService, IApplianceChannel, IAsyncDisposable
{
    private const string ApplianceItem = "eg-appliance";
    private const string SerialItem = "eg-serial";

    private readonly CloudOptions _options;
    private readonly CertificateAuthority _authority;
    private readonly X509Certificate2 _serverCertificate;
    private readonly IServiceProvider _services;
    private readonly CloudMetrics _metrics;
    private readonly ILogger<EmbeddedBroker> _logger;
    private readonly MqttServer _server;
    private IUpstreamHandler? _handler;

    public EmbeddedBroker(IOptions<CloudOptions> options, CertificateAuthority authority, ServerCertificate serverCertificate, IServiceProvider services, CloudMetrics metrics, ILogger<EmbeddedBroker> logger)
    {
        _options = options.Value;
        _authority = authority;
        _serverCertificate = serverCertificate.Certificate;
        _services = services;
        _metrics = metrics;
        _logger = logger;

        var serverOptions = new MqttServerOptionsBuilder()
            .WithoutDefaultEndpoint()
            .WithEncryptedEndpoint()
            .WithEncryptedEndpointBoundIPAddress(IPAddress.Parse(_options.Broker.BindAddress))
            .WithEncryptedEndpointPort(_options.Broker.Port)
            .WithEncryptionCertificate(_serverCertificate)
            .WithEncryptionSslProtocol(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13)
            .WithClientCertificate(ValidateClientCertificate, false)
            .WithMaxPendingMessagesPerClient(_options.Broker.MaxPendingMessagesPerClient)
            // MQTTnet's default drops the *oldest* queued message without telling the sender. Refusing the new one
            // instead makes TryEnqueueApplicationMessage return false, so the sender knows (and says so).
            .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropNewMessage)
            .WithPersistentSessions(false)
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions, new MqttNetLogBridge(logger));
        _server.ValidatingConnectionAsync += OnValidatingConnectionAsync;
        _server.InterceptingPublishAsync += OnInterceptingPublishAsync;
        _server.InterceptingSubscriptionAsync += OnInterceptingSubscriptionAsync;
        _server.ClientDisconnectedAsync += OnClientDisconnectedAsync;
    }

    /// <summary>True once the broker listens.</summary>
    public bool IsStarted => _server.IsStarted;

    private IUpstreamHandler Handler => _handler ??= _services.GetRequiredService<IUpstreamHandler>();

    private PairingService Pairing => _services.GetRequiredService<PairingService>();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The handler settles what an earlier run left open before the first appliance can report its sessions.
        _ = Handler;
        await _server.StartAsync();
        Log.Listening(_logger, _options.Broker.BindAddress, _options.Broker.Port);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(new MqttServerStopOptions());

    /// <summary>Drops an appliance's connection (it reconnects by itself); for revocation and fault tests.</summary>
    public async Task DisconnectApplianceAsync(string applianceId)
    {
        try
        {
            await _server.DisconnectClientAsync(applianceId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.AdministrativeAction });
        }
        catch (InvalidOperationException)
        {
            // Not connected (to this node): nothing to drop.
        }
    }

    /// <summary>
    /// Drops the appliance's connection to this node if it uses one of <paramref name="serials"/> (null in it: any):
    /// a revocation made on another cloud node. A connection with a newer certificate (a re-pair) stays.
    /// </summary>
    public async Task DisconnectIfUsingAsync(string applianceId, IReadOnlyCollection<string?> serials)
    {
        ArgumentNullException.ThrowIfNull(serials);
        MqttSessionStatus session;
        try
        {
            session = await _server.GetSessionAsync(applianceId);
        }
        catch (InvalidOperationException)
        {
            return; // not connected here
        }

        if (serials.Contains(null) || serials.Contains(session.Items[SerialItem] as string))
        {
            await DisconnectApplianceAsync(applianceId);
        }
    }

    public async Task<bool> SendControlAsync(string applianceId, ControlMessage message, CancellationToken cancellationToken)
    {
        var delivered = await DeliverAsync(applianceId, new MqttApplicationMessage
        {
            Topic = TopicMap.DownControl(applianceId),
            Payload = new ReadOnlySequence<byte>(ControlCodec.Encode(message)),
            QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
            ContentType = "application/json",
        });
        if (!delivered)
        {
            Log.ControlUndeliverable(_logger, applianceId, message.GetType().Name);
        }

        return delivered;
    }

    public async Task<bool> SendInputAsync(string applianceId, string sessionId, string senderUserId, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        var delivered = await DeliverAsync(applianceId, new MqttApplicationMessage
        {
            Topic = TopicMap.DownStream(applianceId, sessionId),
            Payload = new ReadOnlySequence<byte>(frame),
            QualityOfServiceLevel = MqttQualityOfServiceLevel.AtMostOnce,
            UserProperties = [new MQTTnet.Packets.MqttUserProperty(StreamProperties.Sender, System.Text.Encoding.UTF8.GetBytes(senderUserId).AsMemory())],
        });
        if (!delivered)
        {
            _metrics.DroppedInput.Add(1);
        }

        return delivered;
    }

    /// <summary>
    /// Queues a message straight to the appliance's own MQTT session. Down topics have exactly one subscriber, so
    /// MQTTnet's dispatch (which walks every connected client's subscriptions per message) is skipped. False when the
    /// appliance is not connected or its queue is full.
    /// </summary>
    private async Task<bool> DeliverAsync(string applianceId, MqttApplicationMessage message)
    {
        MqttSessionStatus session;
        try
        {
            session = await _server.GetSessionAsync(applianceId);
        }
        catch (InvalidOperationException)
        {
            return false; // no session: not connected (sessions are not kept across connections)
        }

        return session.TryEnqueueApplicationMessage(message, out _);
    }

    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, System.Net.Security.SslPolicyErrors errors)
    {
        if (PinnedCertificateAuthority.Validate(certificate, _authority.Certificate, PinnedCertificateAuthority.ClientAuthOid, out var error))
        {
            return true;
        }

        Log.CertificateRejected(_logger, error!);
        return false;
    }

    private Task OnValidatingConnectionAsync(ValidatingConnectionEventArgs e)
    {
        // TLS already proved the certificate chains to our CA; the id must be the certificate's.
        var commonName = e.ClientCertificate is null ? null : PinnedCertificateAuthority.CommonName(e.ClientCertificate);
        if (!e.IsSecureConnection || commonName is null)
        {
            e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            Log.ConnectionRefused(_logger, e.ClientId ?? "?", "no client certificate");
            return Task.CompletedTask;
        }

        if (!TopicMap.IsValidApplianceId(commonName) || e.ClientId != commonName)
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            Log.ConnectionRefused(_logger, e.ClientId ?? "?", $"client id does not match certificate '{commonName}'");
            return Task.CompletedTask;
        }

        // Revocation and supersession are checked here, from the database, so every cloud node sharing it agrees.
        var serial = e.ClientCertificate!.SerialNumber;
        if (Pairing.Standing(commonName, serial) is not CertificateStanding.Good and var standing)
        {
            // Banned tells the appliance that this identity is over: it goes back to pairing.
            e.ReasonCode = MqttConnectReasonCode.Banned;
            e.ReasonString = $"certificate {standing.ToString().ToLowerInvariant()}";
            Log.CertificateRefused(_logger, commonName, serial, standing);
            return Task.CompletedTask;
        }

        Pairing.Connected(commonName, serial);
        e.SessionItems[ApplianceItem] = commonName;
        e.SessionItems[SerialItem] = serial;
        e.ReasonCode = MqttConnectReasonCode.Success;
        Log.ApplianceConnected(_logger, commonName, e.RemoteEndPoint?.ToString() ?? "?");
        return Task.CompletedTask;
    }

    private Task OnInterceptingSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        if (!TopicMap.MaySubscribe(e.ClientId, e.TopicFilter.Topic))
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            Log.SubscriptionRefused(_logger, e.ClientId, e.TopicFilter.Topic);
        }

        return Task.CompletedTask;
    }

    private Task OnInterceptingPublishAsync(InterceptingPublishEventArgs e)
    {
        // Nothing an appliance publishes is routed by MQTTnet: the cloud is its only consumer.
        e.ProcessPublish = false;
        var message = e.ApplicationMessage;
        if (!TopicMap.TryParse(message.Topic, out var topic) || topic.ApplianceId != e.ClientId || topic.Direction != TopicDirection.Up)
        {
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            _metrics.RefusedPublishes.Add(1);
            Log.PublishRefused(_logger, e.ClientId, message.Topic);
            return Task.CompletedTask;
        }

        var payload = message.Payload;
        try
        {
            if (topic.Kind == TopicKind.Stream)
            {
                if (payload.IsSingleSegment)
                {
                    Handler.OnFrame(topic.ApplianceId, topic.SessionId!, payload.FirstSpan);
                }
                else
                {
                    Handler.OnFrame(topic.ApplianceId, topic.SessionId!, payload.ToArray());
                }

                return Task.CompletedTask;
            }

            var bytes = payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
            if (!ControlCodec.TryDecode(bytes, out var control, out var error))
            {
                Log.BadControl(_logger, e.ClientId, error!);
                return Task.CompletedTask;
            }

            if (control is RenewCertificate renew)
            {
                // Off the client's receive path: signing and two database writes must not hold its publishes (or its PUBACK).
                var serial = e.SessionItems[SerialItem] as string;
                _ = Task.Run(() => RenewAsync(topic.ApplianceId, serial, renew.CertificateRequest));
                return Task.CompletedTask;
            }

            Handler.OnControl(topic.ApplianceId, control!);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // One bad message never takes the broker or the appliance's connection down.
            Log.HandlerFailed(_logger, e.ClientId, ex);
        }

        return Task.CompletedTask;
    }

    /// <summary>Signs a renewal over the appliance's own authenticated connection and sends the answer down it.</summary>
    private async Task RenewAsync(string applianceId, string? serial, string csr)
    {
        CertificateRenewed answer;
        try
        {
            var issued = Pairing.Renew(applianceId, serial, csr);
            answer = new CertificateRenewed(issued.CertificatePem);
            Log.Renewed(_logger, applianceId, issued.Serial, issued.NotAfter);
            try
            {
                _services.GetRequiredService<Policy.AuditLog>().Append(new Policy.AuditEvent("appliance.renew", "allowed", ActorName: applianceId, ActorRole: "appliance", ApplianceId: applianceId, Detail: $"certificate {serial} → {issued.Serial}, until {issued.NotAfter:u}"));
            }
            catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                Log.HandlerFailed(_logger, applianceId, ex); // the certificate still goes to the appliance
            }
        }
        catch (CertificateRequestException ex)
        {
            answer = new CertificateRenewed(null, ex.Message);
            Log.RenewalRefused(_logger, applianceId, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.HandlerFailed(_logger, applianceId, ex);
            answer = new CertificateRenewed(null, "The cloud could not renew the certificate now.");
        }

        await SendControlAsync(applianceId, answer, CancellationToken.None);
    }

    private Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        if (e.SessionItems?[ApplianceItem] is string applianceId)
        {
            Log.ApplianceDisconnected(_logger, applianceId, e.DisconnectType.ToString());
            Handler.OnDisconnected(applianceId);
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _server.Dispose();
        return ValueTask.CompletedTask;
    }
}
