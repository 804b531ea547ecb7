namespace EdgeGateway.Cloud.Policy;

/// <summary>An endpoint a user marked for quick start.</summary>
public sealed record FavouriteEndpoint(string ApplianceId, string EndpointId);

/// <summary>
/// The <c>favourite_endpoints</c> table: the endpoints each user marked for quick start. A preference, not a grant:
/// who may start on an endpoint is still decided at the start.
/// </summary>
public sealed class Favourites(CloudDatabase database, TimeProvider time)
{
    /// <summary>The user's favourites, oldest first.</summary>
    public IReadOnlyList<FavouriteEndpoint> List(string userId)
    {
        using var connection = database.Open();
        return connection.Query(
            "SELECT appliance_id, endpoint_id FROM favourite_endpoints WHERE user_id = $user ORDER BY created_at, appliance_id, endpoint_id",
            r => new FavouriteEndpoint(r.GetString(0), r.GetString(1)),
            ("$user", userId));
    }

    /// <summary>Marks an endpoint (again: no change).</summary>
    public void Add(string userId, string applianceId, string endpointId)
    {
        using var connection = database.Open();
        connection.Execute(
            "INSERT OR IGNORE INTO favourite_endpoints (user_id, appliance_id, endpoint_id, created_at) VALUES ($user, $appliance, $endpoint, $now)",
            ("$user", userId), ("$appliance", applianceId), ("$endpoint", endpointId), ("$now", Sql.Time(time.GetUtcNow())));
    }

    /// <summary>Unmarks an endpoint (not marked: no change).</summary>
    public void Remove(string userId, string applianceId, string endpointId)
    {
        using var connection = database.Open();
        connection.Execute(
            "DELETE FROM favourite_endpoints WHERE user_id = $user AND appliance_id = $appliance AND endpoint_id = $endpoint",
            ("$user", userId), ("$appliance", applianceId), ("$endpoint", endpointId));
    }
}
