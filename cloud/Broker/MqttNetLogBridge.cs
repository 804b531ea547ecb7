using MQTTnet.Diagnostics.Logger;

namespace EdgeGateway.Cloud.Broker;

/// <summary>Routes MQTTnet's own log into ILogger, once, at warning and above (its verbose log is per packet).</summary>
internal sealed class MqttNetLogBridge(ILogger logger) : IMqttNetLogger
{
    public bool IsEnabled => logger.IsEnabled(LogLevel.Warning);

    public void Publish(MqttNetLogLevel logLevel, string source, string message, object[] parameters, Exception exception)
    {
        var level = logLevel switch
        {
            // A refused TLS handshake (no or a foreign client certificate) is expected traffic from the internet,
            // already logged by the broker as a warning with the reason; it is not a fault of ours.
            MqttNetLogLevel.Error when exception?.GetBaseException() is System.Security.Authentication.AuthenticationException => LogLevel.Warning,
            MqttNetLogLevel.Error => LogLevel.Error,
            MqttNetLogLevel.Warning => LogLevel.Warning,
            _ => LogLevel.None,
        };
        if (level == LogLevel.None || !logger.IsEnabled(level))
        {
            return;
        }

        var text = parameters is { Length: > 0 } ? string.Format(System.Globalization.CultureInfo.InvariantCulture, message, parameters) : message;
#pragma warning disable CA1848, CA2254 // MQTTnet's messages are free text; this bridge is the one place they enter ILogger.
        logger.Log(level, new EventId(1099, "MqttNet"), exception, "MQTTnet {Source}: {Message}", source, text);
#pragma warning restore CA1848, CA2254
    }
}
