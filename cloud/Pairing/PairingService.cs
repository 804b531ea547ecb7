using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Cloud.Pairing;

/// <summary>What <c>device_authorization</c> answers (RFC 8628 §3.2); <c>DeviceCode</c> is the secret only the appliance holds.</summary>
public sealed record DeviceAuthorization(string RequestId, string DeviceCode, string UserCode, TimeSpan ExpiresIn, TimeSpan Interval);

/// <summary>The outcome of one poll of the token endpoint: an RFC 8628 §3.5 error, or the issued certificate.</summary>
/// <param name="Error">null on success; else <c>authorization_pending</c>, <c>slow_down</c>, <c>expired_token</c>, <c>access_denied</c> or <c>invalid_grant</c>.</param>
/// <param name="Description">A sentence for the appliance's log.</param>
/// <param name="ApplianceId">On success: the id the cloud assigned (the certificate's CN).</param>
/// <param name="CertificatePem">On success: the appliance's certificate, PEM.</param>
/// <param name="NotAfter">On success: when it expires (UTC).</param>
/// <param name="Interval">After <c>slow_down</c>: the interval (s) to keep from now on.</param>
public sealed record TokenResult(string? Error, string Description, string? ApplianceId = null, string? CertificatePem = null, DateTimeOffset? NotAfter = null, int? Interval = null);

/// <summary>A pending pairing request as the field engineer sees it before approving: what the appliance reported about itself.</summary>
/// <param name="UserCode">The code, formatted XXXX-XXXX.</param>
/// <param name="Hardware">What the appliance says it runs on (its own words, bounded, control characters removed).</param>
/// <param name="SoftwareVersion">Its software version (same).</param>
/// <param name="KeySha256">SHA-256 of the public key in its request (SubjectPublicKeyInfo, hex): the engineer may compare it with the appliance's <c>pair --status</c>.</param>
/// <param name="KeyType">"ECDSA P-256" or "ECDSA P-384".</param>
/// <param name="Source">The address the request came from.</param>
/// <param name="RequestedAt">When it asked (UTC).</param>
/// <param name="ExpiresAt">When the code stops working (UTC).</param>
public sealed record PairingRequestView(string UserCode, string Hardware, string SoftwareVersion, string KeySha256, string KeyType, string Source, DateTimeOffset RequestedAt, DateTimeOffset ExpiresAt);

/// <summary>An appliance with its pairing and certificate facts, for the appliance list (Revoke, Re-pair, expiry).</summary>
public sealed record PairedApplianceView(string Id, string Name, string DomainId, string Site, string Hardware, string SoftwareVersion, bool Online, DateTimeOffset? PairedAt, DateTimeOffset? RevokedAt, string? CertificateSerial, DateTimeOffset? CertificateNotAfter);

/// <summary>What the broker decides about a client certificate at connect, from the database (so every cloud node agrees).</summary>
public enum CertificateStanding
{
    /// <summary>Issued and neither revoked nor superseded; or an appliance enrolled before pairing (no recorded certificate).</summary>
    Good,

    /// <summary>Revoked, or its appliance is.</summary>
    Revoked,

    /// <summary>A newer certificate of the same appliance has connected since.</summary>
    Superseded,

    /// <summary>Not issued by pairing for an appliance that has paired certificates (an old enrolment file).</summary>
    Unknown,
}

/// <summary>
/// The cloud's pairing service: the RFC 8628 device authorization grant, ending in a client certificate that
/// <see cref="CertificateAuthority"/> signs from the appliance's own request; renewal; revocation; and the broker's
/// check of each certificate at connect. Every state lives in the database (<c>pairing_requests</c>,
/// <c>appliance_certificates</c>, migration 0009), so any cloud node completes a pairing another started and every node
/// refuses a revoked certificate. Only the SHA-256 of a device code is stored; user codes are never logged or audited.
/// Who may approve, deny or revoke is decided by the caller through <see cref="Authorizer"/>.
/// </summary>
public sealed class PairingService(CloudDatabase database, CertificateAuthority authority, IOptions<CloudOptions> options, TimeProvider time)
{
    /// <summary>RFC 8628 §6.1's base-20 alphabet: consonants only, no look-alikes (0/O, 1/I/L…), no words.</summary>
    public const string UserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";

    /// <summary>Characters in a user code (20^8 ≈ 2^34.6).</summary>
    public const int UserCodeLength = 8;

    /// <summary>The RFC 8628 grant type the token endpoint takes.</summary>
    public const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>How much a <c>slow_down</c> adds to the interval (RFC 8628 §3.5).</summary>
    public static readonly TimeSpan SlowDownStep = TimeSpan.FromSeconds(5);

    private PairingOptions Settings => options.Value.Pairing;

    /// <summary>
    /// Starts a pairing: checks the request, stores it and returns the device and user codes.
    /// </summary>
    /// <exception cref="CertificateRequestException">The request is unusable (the sentence says why).</exception>
    /// <exception cref="PairingBusyException">Too many requests are pending.</exception>
    public DeviceAuthorization Start(string? csrPem, string? hardware, string? softwareVersion, string source)
    {
        var request = CertificateAuthority.ReadRequest(csrPem);
        var keySha256 = CertificateAuthority.KeySha256(request.PublicKey);
        using var key = request.PublicKey.GetECDsaPublicKey()!;
        var keyType = key.KeySize == 384 ? "ECDSA P-384" : "ECDSA P-256";
        var now = time.GetUtcNow();
        using var connection = database.Open();
        connection.Execute("DELETE FROM pairing_requests WHERE expires_at < $cut AND status IN ('pending', 'denied')", ("$cut", Sql.Time(now - TimeSpan.FromDays(1))));
        var pending = Convert.ToInt32(connection.Scalar("SELECT COUNT(*) FROM pairing_requests WHERE status = 'pending' AND expires_at > $now", ("$now", Sql.Time(now))), CultureInfo.InvariantCulture);
        if (pending >= Settings.MaxPendingRequests)
        {
            throw new PairingBusyException("Too many pairings are waiting for approval; try again in a few minutes.");
        }

        var deviceCode = Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = Guid.NewGuid().ToString("N");
        for (var attempt = 0; ; attempt++)
        {
            var userCode = RandomNumberGenerator.GetString(UserCodeAlphabet, UserCodeLength);
            try
            {
                connection.Execute(
                    """
                    INSERT INTO pairing_requests (id, device_code_hash, user_code, csr_pem, key_sha256, key_type, hardware, software_version, source, requested_at, expires_at, interval_seconds, status)
                    VALUES ($id, $hash, $code, $csr, $key, $type, $hw, $sw, $source, $now, $expires, $interval, 'pending')
                    """,
                    ("$id", id), ("$hash", Hash(deviceCode)), ("$code", userCode), ("$csr", csrPem), ("$key", keySha256), ("$type", keyType),
                    ("$hw", Clean(hardware, 200)), ("$sw", Clean(softwareVersion, 100)), ("$source", source), ("$now", Sql.Time(now)),
                    ("$expires", Sql.Time(now + Settings.CodeLifetime)), ("$interval", (int)Settings.PollInterval.TotalSeconds));
                return new DeviceAuthorization(id, deviceCode, Format(userCode), Settings.CodeLifetime, Settings.PollInterval);
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && attempt < 5)
            {
                // The code is taken by a request not yet cleaned up: draw another.
            }
        }
    }

    /// <summary>One poll of the token endpoint with a device code (RFC 8628 §3.4, §3.5).</summary>
    public TokenResult Poll(string? deviceCode)
    {
        if (string.IsNullOrEmpty(deviceCode) || deviceCode.Length > 200)
        {
            return new TokenResult("invalid_request", "device_code is missing.");
        }

        var now = time.GetUtcNow();
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var row = connection.Query(
            "SELECT id, status, expires_at, interval_seconds, last_poll_at, appliance_id, certificate_pem FROM pairing_requests WHERE device_code_hash = $hash",
            r => (Id: r.GetString(0), Status: r.GetString(1), Expires: r.ReadTime(2), Interval: r.GetInt32(3), LastPoll: r.ReadTimeOrNull(4), ApplianceId: r.ReadStringOrNull(5), Certificate: r.ReadStringOrNull(6)),
            ("$hash", Hash(deviceCode))).FirstOrDefault();
        if (row.Id is null)
        {
            return new TokenResult("invalid_grant", "This device code is not known here.");
        }

        TokenResult result;
        if (row.Status == "completed")
        {
            // Used once: the appliance has connected with its certificate. A replay gets nothing.
            result = new TokenResult("invalid_grant", "This device code has been used.");
        }
        else if (row.Status == "issued")
        {
            // Until the certificate is first used the answer can be fetched again (the appliance may have lost power
            // before it stored it); it is worth nothing without the private key, which never left the appliance.
            using var cert = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(row.Certificate);
            result = new TokenResult(null, "issued", row.ApplianceId, row.Certificate, new DateTimeOffset(cert.NotAfter.ToUniversalTime()));
        }
        else if (now >= row.Expires)
        {
            result = new TokenResult("expired_token", "The pairing code has expired; start again for a new code.");
        }
        else if (row.Status == "denied")
        {
            result = new TokenResult("access_denied", "The pairing was denied.");
        }
        else if (row.LastPoll is { } last && now - last < TimeSpan.FromSeconds(row.Interval) - TimeSpan.FromMilliseconds(250))
        {
            var interval = Math.Min(row.Interval + (int)SlowDownStep.TotalSeconds, 60);
            connection.Execute("UPDATE pairing_requests SET interval_seconds = $i, last_poll_at = $now WHERE id = $id", ("$i", interval), ("$now", Sql.Time(now)), ("$id", row.Id));
            transaction.Commit();
            return new TokenResult("slow_down", $"Polling too fast: wait {interval} s between polls.", Interval: interval);
        }
        else
        {
            result = new TokenResult("authorization_pending", "Waiting for a field engineer to enter the code.");
        }

        connection.Execute("UPDATE pairing_requests SET last_poll_at = $now WHERE id = $id", ("$now", Sql.Time(now)), ("$id", row.Id));
        transaction.Commit();
        return result;
    }

    /// <summary>A pending, unexpired request by its user code (any case, with or without the dash), or null.</summary>
    public PairingRequestView? Find(string? userCode)
    {
        if (Normalize(userCode) is not { } code)
        {
            return null;
        }

        using var connection = database.Open();
        return connection.Query(
            "SELECT user_code, hardware, software_version, key_sha256, key_type, source, requested_at, expires_at FROM pairing_requests WHERE user_code = $code AND status = 'pending' AND expires_at > $now",
            r => new PairingRequestView(Format(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.ReadTime(6), r.ReadTime(7)),
            ("$code", code), ("$now", Sql.Time(time.GetUtcNow()))).FirstOrDefault();
    }

    /// <summary>
    /// Approves a pending request: signs its key's certificate for a new appliance (an id made from
    /// <paramref name="name"/>) or, with <paramref name="replaceApplianceId"/>, for that existing appliance (re-pair: its
    /// earlier certificates are revoked, its grants and policies kept). Returns the appliance id and the certificate,
    /// or null when the code is no longer pending (approved, denied or expired meanwhile).
    /// </summary>
    public (string ApplianceId, IssuedCertificate Certificate)? Approve(string userCode, string domainId, string site, string name, string? replaceApplianceId, string decidedBy)
    {
        var code = Normalize(userCode);
        var now = time.GetUtcNow();
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var row = connection.Query(
            "SELECT id, csr_pem, hardware, software_version FROM pairing_requests WHERE user_code = $code AND status = 'pending' AND expires_at > $now",
            r => (Id: r.GetString(0), Csr: r.GetString(1), Hardware: r.GetString(2), Version: r.GetString(3)),
            ("$code", code), ("$now", Sql.Time(now))).FirstOrDefault();
        if (row.Id is null)
        {
            return null;
        }

        string applianceId;
        if (replaceApplianceId is not null)
        {
            applianceId = replaceApplianceId;
            connection.Execute("UPDATE appliance_certificates SET revoked_at = $now, revoked_by = $by WHERE appliance_id = $id AND revoked_at IS NULL", ("$now", Sql.Time(now)), ("$by", decidedBy), ("$id", applianceId));
            connection.Execute(
                "UPDATE appliances SET site = $site, name = $name, hardware = $hw, software_version = $sw, paired_at = $now, revoked_at = NULL WHERE id = $id",
                ("$site", site), ("$name", name), ("$hw", row.Hardware), ("$sw", row.Version), ("$now", Sql.Time(now)), ("$id", applianceId));
        }
        else
        {
            applianceId = FreeId(connection, name);
            connection.Execute(
                "INSERT INTO appliances (id, name, software_version, domain_id, site, hardware, paired_at) VALUES ($id, $name, $sw, $domain, $site, $hw, $now)",
                ("$id", applianceId), ("$name", name), ("$sw", row.Version), ("$domain", domainId), ("$site", site), ("$hw", row.Hardware), ("$now", Sql.Time(now)));
        }

        var issued = authority.SignAppliance(row.Csr, applianceId, now - Settings.ClockSkew, now + Settings.CertificateLifetime);
        Record(connection, applianceId, issued, now);
        connection.Execute(
            "UPDATE pairing_requests SET status = 'issued', appliance_id = $a, decided_by = $by, decided_at = $now, certificate_pem = $cert WHERE id = $id",
            ("$a", applianceId), ("$by", decidedBy), ("$now", Sql.Time(now)), ("$cert", issued.CertificatePem), ("$id", row.Id));
        transaction.Commit();
        return (applianceId, issued);
    }

    /// <summary>Denies a pending request; false when it is not pending.</summary>
    public bool Deny(string userCode, string decidedBy)
    {
        using var connection = database.Open();
        return connection.Execute(
            "UPDATE pairing_requests SET status = 'denied', decided_by = $by, decided_at = $now WHERE user_code = $code AND status = 'pending' AND expires_at > $now",
            ("$by", decidedBy), ("$now", Sql.Time(time.GetUtcNow())), ("$code", Normalize(userCode))) == 1;
    }

    /// <summary>
    /// Renews an appliance's certificate from a new request, over its authenticated MQTT connection (the caller proved
    /// <paramref name="currentSerial"/> in TLS). The new certificate supersedes the old once it first connects.
    /// </summary>
    /// <exception cref="CertificateRequestException">The request is unusable, the current certificate is not good, or renewals come too often.</exception>
    public IssuedCertificate Renew(string applianceId, string? currentSerial, string? csrPem)
    {
        var now = time.GetUtcNow();
        if (currentSerial is null || Standing(applianceId, currentSerial) != CertificateStanding.Good)
        {
            throw new CertificateRequestException("This connection's certificate cannot be renewed: it is revoked or superseded.");
        }

        using var connection = database.Open();
        var recent = Convert.ToInt32(connection.Scalar("SELECT COUNT(*) FROM appliance_certificates WHERE appliance_id = $id AND issued_at > $since", ("$id", applianceId), ("$since", Sql.Time(now - TimeSpan.FromMinutes(1)))), CultureInfo.InvariantCulture);
        if (recent >= 3)
        {
            throw new CertificateRequestException("Renewals come too often: at most 3 certificates a minute per appliance.");
        }

        var issued = authority.SignAppliance(csrPem!, applianceId, now - Settings.ClockSkew, now + Settings.CertificateLifetime);
        Record(connection, applianceId, issued, now);
        return issued;
    }

    /// <summary>
    /// Revokes every certificate of an appliance and marks it revoked: the broker refuses it from now on (the caller
    /// disconnects it). A re-pair (<see cref="Approve"/> naming it) makes it good again. False when there is no such appliance.
    /// </summary>
    public bool Revoke(string applianceId, string revokedBy)
    {
        var now = Sql.Time(time.GetUtcNow());
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (connection.Execute("UPDATE appliances SET revoked_at = COALESCE(revoked_at, $now) WHERE id = $id", ("$now", now), ("$id", applianceId)) != 1)
        {
            return false;
        }

        connection.Execute("UPDATE appliance_certificates SET revoked_at = $now, revoked_by = $by WHERE appliance_id = $id AND revoked_at IS NULL", ("$now", now), ("$by", revokedBy), ("$id", applianceId));
        transaction.Commit();
        return true;
    }

    /// <summary>
    /// Certificates revoked after <paramref name="since"/>, by appliance, for nodes other than the one that revoked them
    /// (<see cref="RevocationSweep"/>). A null serial: the appliance itself is revoked (whatever certificate it holds).
    /// </summary>
    public IReadOnlyList<(string ApplianceId, string? Serial)> RevokedSince(DateTimeOffset since)
    {
        using var connection = database.Open();
        return connection.Query(
            """
            SELECT appliance_id, serial FROM appliance_certificates WHERE revoked_at > $since
            UNION ALL SELECT id, NULL FROM appliances WHERE revoked_at > $since
            """,
            r => (r.GetString(0), r.ReadStringOrNull(1)), ("$since", Sql.Time(since)));
    }

    /// <summary>True when the appliance is known (paired, enrolled or announced).</summary>
    public bool ApplianceExists(string applianceId)
    {
        using var connection = database.Open();
        return connection.Scalar("SELECT 1 FROM appliances WHERE id = $id", ("$id", applianceId)) is not null;
    }

    /// <summary>The broker's check at connect, by serial (hex, as <c>X509Certificate2.SerialNumber</c> prints it).</summary>
    public CertificateStanding Standing(string applianceId, string serial)
    {
        using var connection = database.Open();
        var appliance = connection.Query(
            "SELECT revoked_at IS NOT NULL, (SELECT COUNT(*) FROM appliance_certificates WHERE appliance_id = $id) FROM appliances WHERE id = $id",
            r => (Revoked: r.GetBoolean(0), Certificates: r.GetInt32(1)), ("$id", applianceId)).FirstOrDefault();
        if (appliance.Revoked)
        {
            return CertificateStanding.Revoked;
        }

        var row = connection.Query(
            "SELECT appliance_id, revoked_at IS NOT NULL, superseded_at IS NOT NULL FROM appliance_certificates WHERE serial = $serial",
            r => (ApplianceId: r.GetString(0), Revoked: r.GetBoolean(1), Superseded: r.GetBoolean(2)), ("$serial", serial)).FirstOrDefault();
        return row.ApplianceId is null ? (appliance.Certificates == 0 ? CertificateStanding.Good : CertificateStanding.Unknown)
            : row.ApplianceId != applianceId || row.Revoked ? CertificateStanding.Revoked
            : row.Superseded ? CertificateStanding.Superseded
            : CertificateStanding.Good;
    }

    /// <summary>
    /// A certificate was used to connect: it is marked used, the appliance's older certificates are superseded, and the
    /// pairing that issued it is completed (its device code is spent).
    /// </summary>
    public void Connected(string applianceId, string serial)
    {
        var now = Sql.Time(time.GetUtcNow());
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (connection.Execute("UPDATE appliance_certificates SET first_used_at = COALESCE(first_used_at, $now) WHERE serial = $serial AND appliance_id = $id", ("$now", now), ("$serial", serial), ("$id", applianceId)) == 1)
        {
            connection.Execute(
                """
                UPDATE appliance_certificates SET superseded_at = $now
                WHERE appliance_id = $id AND serial <> $serial AND superseded_at IS NULL
                  AND issued_at <= (SELECT issued_at FROM appliance_certificates WHERE serial = $serial)
                """,
                ("$now", now), ("$serial", serial), ("$id", applianceId));
            connection.Execute("UPDATE pairing_requests SET status = 'completed' WHERE appliance_id = $id AND status = 'issued'", ("$id", applianceId));
        }

        transaction.Commit();
    }

    /// <summary>Appliances with their pairing facts and newest good certificate, in one domain (or all), by name.</summary>
    public IReadOnlyList<PairedApplianceView> List(string? domainId, Func<string, bool> online)
    {
        ArgumentNullException.ThrowIfNull(online);
        using var connection = database.Open();
        return connection.Query(
            """
            SELECT a.id, a.name, a.domain_id, a.site, a.hardware, a.software_version, a.paired_at, a.revoked_at, c.serial, c.not_after
            FROM appliances a
            LEFT JOIN appliance_certificates c ON c.serial = (
                SELECT serial FROM appliance_certificates WHERE appliance_id = a.id AND revoked_at IS NULL AND superseded_at IS NULL ORDER BY issued_at DESC LIMIT 1)
            WHERE $domain IS NULL OR a.domain_id = $domain
            ORDER BY a.name
            """,
            r => new PairedApplianceView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), online(r.GetString(0)),
                r.ReadTimeOrNull(6), r.ReadTimeOrNull(7), r.ReadStringOrNull(8), r.ReadTimeOrNull(9)),
            ("$domain", domainId));
    }

    /// <summary>The user code in canonical form (upper case, no dash or spaces), or null when it cannot be one.</summary>
    public static string? Normalize(string? userCode)
    {
        if (userCode is null || userCode.Length > 32)
        {
            return null;
        }

        var builder = new StringBuilder(UserCodeLength);
        foreach (var c in userCode)
        {
            if (c is '-' or ' ')
            {
                continue;
            }

            var upper = char.ToUpperInvariant(c);
            if (!UserCodeAlphabet.Contains(upper, StringComparison.Ordinal) || builder.Length == UserCodeLength)
            {
                return null;
            }

            builder.Append(upper);
        }

        return builder.Length == UserCodeLength ? builder.ToString() : null;
    }

    /// <summary>XXXX-XXXX.</summary>
    public static string Format(string code) => code.Length == UserCodeLength ? string.Concat(code.AsSpan(0, 4), "-", code.AsSpan(4)) : code;

    private static void Record(SqliteConnection connection, string applianceId, IssuedCertificate issued, DateTimeOffset now) =>
        connection.Execute(
            "INSERT INTO appliance_certificates (serial, appliance_id, key_sha256, not_before, not_after, issued_at) VALUES ($serial, $id, $key, $nb, $na, $now)",
            ("$serial", issued.Serial), ("$id", applianceId), ("$key", issued.KeySha256), ("$nb", Sql.Time(issued.NotBefore)), ("$na", Sql.Time(issued.NotAfter)), ("$now", Sql.Time(now)));

    /// <summary>An appliance id from a display name: lower-case letters, digits and '-', made unique with a number.</summary>
    private static string FreeId(SqliteConnection connection, string name)
    {
        var slug = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        var stem = slug.ToString().Trim('-');
        stem = stem.Length == 0 ? "appliance" : stem[..Math.Min(stem.Length, 56)].Trim('-');
        for (var n = 1; ; n++)
        {
            var id = n == 1 ? stem : $"{stem}-{n}";
            if (connection.Scalar("SELECT 1 FROM appliances WHERE id = $id", ("$id", id)) is null)
            {
                return id;
            }
        }
    }

    private static string Clean(string? text, int max)
    {
        var clean = new string((text ?? string.Empty).Where(c => !char.IsControl(c)).ToArray()).Trim();
        return clean.Length > max ? clean[..max] : clean;
    }

    private static string Hash(string deviceCode) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(deviceCode)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The pairing service cannot take another request now (503).</summary>
public sealed class PairingBusyException : Exception
{
    public PairingBusyException(string message)
        : base(message)
    {
    }

    public PairingBusyException()
    {
    }

    public PairingBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
