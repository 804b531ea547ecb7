namespace EdgeGateway.Appliance.Uplink;

/// <summary>
/// MQTT 5 topic aliases (OASIS MQTT 5.0 §3.3.2.3.4) for one network connection: the first PUBLISH on a topic carries
/// the topic name and an alias, every later one only the alias. A session's stream topic is ~60 bytes, a keystroke's
/// echo frame 17: without aliases the topic name was half of every echo on the uplink.
/// </summary>
/// <remarks>
/// Aliases belong to one connection (a new instance per connect) and are never remapped: remapping an alias that
/// another session's publish is about to use would deliver that frame under the wrong session's topic. Past the
/// broker's <c>Topic Alias Maximum</c> a topic goes out by name, which costs bytes and nothing else.
/// </remarks>
internal sealed class TopicAliases(ushort maximum)
{
    private readonly Dictionary<string, ushort> _aliases = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>No aliases: for a broker that allows none (Topic Alias Maximum 0).</summary>
    public static TopicAliases None { get; } = new(0);

    /// <summary>
    /// What to put in the PUBLISH: the topic name and a new alias (first use), an empty name and the alias (later
    /// uses), or the name and alias 0 (none left). The caller must send the first use before any later one on the
    /// same topic — a session's frames go out one after the other, so they do.
    /// </summary>
    public (string Topic, ushort Alias) For(string topic)
    {
        lock (_gate)
        {
            if (_aliases.TryGetValue(topic, out var alias))
            {
                return (string.Empty, alias);
            }

            if (_aliases.Count >= maximum)
            {
                return (topic, 0);
            }

            alias = (ushort)(_aliases.Count + 1);
            _aliases[topic] = alias;
            return (topic, alias);
        }
    }
}
