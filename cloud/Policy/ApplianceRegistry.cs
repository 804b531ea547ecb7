using System.Collections.Concurrent;
using System.Globalization;
using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Cloud.Policy;

/// <summary>An endpoint as the API shows it.</summary>
public sealed record EndpointView(string Id, string Name, string Protocol, string Host, int Port);

/// <summary>An appliance as the API shows it. <c>DomainId</c>: the domain it belongs to.</summary>
public sealed record ApplianceView(string Id, string Name, bool Online, DateTimeOffset? LastSeen, IReadOnlyList<EndpointView> Endpoints, string DomainId = PolicyStore.DefaultDomain);

/// <summary>Appliances, their endpoints (as each announces them) and who is online.</summary>
public sealed class ApplianceRegistry(CloudDatabase database, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, bool> _online = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _announcements = new(StringComparer.Ordinal);

    /// <summary>Records an appliance's Hello: it is online and serves exactly these endpoints.</summary>
    public void OnHello(string applianceId, Hello hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction();
        using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO appliances (id, name, software_version, last_seen) VALUES ($id, $id, $version, $now)
                ON CONFLICT(id) DO UPDATE SET software_version = $version, last_seen = $now;
                DELETE FROM endpoints WHERE appliance_id = $id;
                """;
            upsert.Parameters.AddWithValue("$id", applianceId);
            upsert.Parameters.AddWithValue("$version", hello.SoftwareVersion ?? string.Empty);
            upsert.Parameters.AddWithValue("$now", Now());
            upsert.ExecuteNonQuery();
        }

        foreach (var e in hello.Endpoints)
        {
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR REPLACE INTO endpoints (appliance_id, id, name, protocol, host, port) VALUES ($a, $id, $name, $protocol, $host, $port)";
            insert.Parameters.AddWithValue("$a", applianceId);
            insert.Parameters.AddWithValue("$id", e.Id);
            insert.Parameters.AddWithValue("$name", e.Name);
            insert.Parameters.AddWithValue("$protocol", e.Protocol);
            insert.Parameters.AddWithValue("$host", e.Host);
            insert.Parameters.AddWithValue("$port", e.Port);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        _online[applianceId] = true;
        _announcements.AddOrUpdate(applianceId, 1, static (_, n) => n + 1);
    }

    /// <summary>How many times the appliance has announced itself since this node started (its reconnects + 1).</summary>
    public int Announcements(string applianceId) => _announcements.GetValueOrDefault(applianceId);

    public void SetOffline(string applianceId)
    {
        _online.TryRemove(applianceId, out _);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE appliances SET last_seen = $now WHERE id = $id";
        command.Parameters.AddWithValue("$id", applianceId);
        command.Parameters.AddWithValue("$now", Now());
        command.ExecuteNonQuery();
    }

    public bool IsOnline(string applianceId) => _online.ContainsKey(applianceId);

    /// <summary>Appliances connected now.</summary>
    public int OnlineCount => _online.Count;

    public EndpointView? FindEndpoint(string applianceId, string endpointId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, protocol, host, port FROM endpoints WHERE appliance_id = $a AND id = $id";
        command.Parameters.AddWithValue("$a", applianceId);
        command.Parameters.AddWithValue("$id", endpointId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new EndpointView(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4)) : null;
    }

    /// <summary>Every appliance, or (<paramref name="domainId"/> given) the domain's, by name.</summary>
    public IReadOnlyList<ApplianceView> List(string? domainId = null)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT a.id, a.name, a.last_seen, e.id, e.name, e.protocol, e.host, e.port, a.domain_id
            FROM appliances a LEFT JOIN endpoints e ON e.appliance_id = a.id
            WHERE $domain IS NULL OR a.domain_id = $domain
            ORDER BY a.name, e.name
            """;
        command.Parameters.AddWithValue("$domain", (object?)domainId ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var result = new List<ApplianceView>();
        ApplianceView? current = null;
        List<EndpointView>? endpoints = null;
        while (reader.Read())
        {
            var id = reader.GetString(0);
            if (current?.Id != id)
            {
                endpoints = [];
                DateTimeOffset? lastSeen = reader.IsDBNull(2) ? null : DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture);
                current = new ApplianceView(id, reader.GetString(1), IsOnline(id), lastSeen, endpoints, reader.GetString(8));
                result.Add(current);
            }

            if (!reader.IsDBNull(3))
            {
                endpoints!.Add(new EndpointView(reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetInt32(7)));
            }
        }

        return result;
    }

    private string Now() => time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
}
