using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// An endpoint's pinned TLS certificate as the admin page shows it. Fingerprints are SHA-256 of the certificate's DER
/// (<see cref="CertificateFingerprints"/>). <see cref="Presented"/>: a different certificate the device showed since
/// (refused), which an administrator may accept; null when none is waiting.
/// </summary>
public sealed record EndpointCertificate(string Fingerprint, DateTimeOffset PinnedAt, string PinnedBy, string? Presented, DateTimeOffset? PresentedAt);

/// <summary>
/// Trust on first use for devices whose TLS certificate the cloud pins (RDP, issue 12): the <c>endpoint_certificates</c>
/// table, and the audit events of each change. The first certificate an endpoint presents is pinned; a start then
/// carries the pin (<see cref="StartSession.PinnedCertificate"/>) and the appliance refuses a device that presents
/// another one before any credential is sent (<see cref="Protocol.Stream.EndReason.CertificateChanged"/>). That
/// certificate is kept as <see cref="EndpointCertificate.Presented"/> until an administrator accepts it
/// (<see cref="Accept"/>, decided by <see cref="Authorizer"/> in the admin API). A device's RDP certificate is usually
/// self-signed, so a chain check would prove nothing; a change is what an attacker in the middle — or a reinstalled
/// device — shows, and a person decides which.
/// </summary>
public sealed class EndpointCertificates(CloudDatabase database, AuditLog audit, TimeProvider time)
{
    /// <summary>The endpoint's pin and any certificate waiting for acceptance; null before first use.</summary>
    public EndpointCertificate? Find(string applianceId, string endpointId)
    {
        using var connection = database.Open();
        return connection.Query(
            "SELECT fingerprint, pinned_at, pinned_by, presented_fingerprint, presented_at FROM endpoint_certificates WHERE appliance_id = $appliance AND endpoint_id = $endpoint",
            r => new EndpointCertificate(r.GetString(0), r.ReadTime(1), r.GetString(2), r.ReadStringOrNull(3), r.ReadTimeOrNull(4)),
            ("$appliance", applianceId), ("$endpoint", endpointId)).FirstOrDefault();
    }

    /// <summary>
    /// A device connected and presented <paramref name="fingerprint"/>: pinned when the endpoint has no pin yet (first
    /// use, audited as <c>endpoint.certificate-pin</c>); nothing changes otherwise (the appliance compared it already).
    /// </summary>
    /// <returns>True when this call pinned it.</returns>
    public bool OnConnected(string applianceId, string endpointId, string fingerprint, string sessionId)
    {
        if (!CertificateFingerprints.IsValid(fingerprint))
        {
            return false;
        }

        int inserted;
        using (var connection = database.Open())
        {
            inserted = connection.Execute(
                "INSERT OR IGNORE INTO endpoint_certificates (appliance_id, endpoint_id, fingerprint, pinned_at, pinned_by) VALUES ($appliance, $endpoint, $fingerprint, $now, 'first use')",
                ("$appliance", applianceId), ("$endpoint", endpointId), ("$fingerprint", fingerprint), ("$now", Sql.Time(time.GetUtcNow())));
        }

        if (inserted == 1)
        {
            audit.Append(new AuditEvent("endpoint.certificate-pin", "allowed", Reason: "first use", ApplianceId: applianceId, EndpointId: endpointId, SessionId: sessionId, Detail: "SHA-256 " + fingerprint));
        }

        return inserted == 1;
    }

    /// <summary>
    /// The appliance refused a device that presented <paramref name="presented"/> instead of the pinned certificate:
    /// kept for an administrator to accept, and audited as <c>endpoint.certificate-changed</c> (denied).
    /// </summary>
    public void OnChanged(string applianceId, string endpointId, string presented, string sessionId, string message)
    {
        if (!CertificateFingerprints.IsValid(presented))
        {
            return;
        }

        var pinned = Find(applianceId, endpointId)?.Fingerprint;
        using (var connection = database.Open())
        {
            connection.Execute(
                "UPDATE endpoint_certificates SET presented_fingerprint = $presented, presented_at = $now WHERE appliance_id = $appliance AND endpoint_id = $endpoint",
                ("$appliance", applianceId), ("$endpoint", endpointId), ("$presented", presented), ("$now", Sql.Time(time.GetUtcNow())));
        }

        audit.Append(new AuditEvent("endpoint.certificate-changed", "denied", Reason: AuditText.Short(message, 300), ApplianceId: applianceId, EndpointId: endpointId, SessionId: sessionId, Detail: $"pinned SHA-256 {pinned ?? "(none)"}, presented SHA-256 {presented}"));
    }

    /// <summary>
    /// Pins <paramref name="fingerprint"/>, which must be the certificate the device presented last (an administrator
    /// accepts what a device showed, never a typed value). The caller has decided and audited the act.
    /// </summary>
    /// <returns>The new state; null when no such certificate waits (nothing changed).</returns>
    public EndpointCertificate? Accept(string applianceId, string endpointId, string fingerprint, string byUserName)
    {
        using var connection = database.Open();
        var changed = connection.Execute(
            "UPDATE endpoint_certificates SET fingerprint = presented_fingerprint, pinned_at = $now, pinned_by = $by, presented_fingerprint = NULL, presented_at = NULL WHERE appliance_id = $appliance AND endpoint_id = $endpoint AND presented_fingerprint = $fingerprint",
            ("$appliance", applianceId), ("$endpoint", endpointId), ("$fingerprint", fingerprint), ("$now", Sql.Time(time.GetUtcNow())), ("$by", byUserName));
        return changed == 1 ? Find(applianceId, endpointId) : null;
    }
}
