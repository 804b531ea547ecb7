namespace EdgeGateway.Cloud.Policy;

/// <summary>The roles of the product. A user has exactly one.</summary>
public static class Roles
{
    /// <summary>Manages the domain's users, access and policy; may start, join and terminate any of its sessions.</summary>
    public const string DomainAdmin = "domain-admin";

    /// <summary>Starts sessions on endpoints they have access to (the Controller) and joins others' sessions.</summary>
    public const string Technician = "technician";

    /// <summary>A plant's operator: watches and supervises sessions on the endpoints they have access to; never starts one.</summary>
    public const string Operator = "operator";

    /// <summary>Provisions appliances; takes no part in device sessions.</summary>
    public const string FieldEngineer = "field-engineer";

    /// <summary>Someone who came in by an invite link without an account: watches that one session, nothing else.</summary>
    public const string Guest = "guest";

    /// <summary>The roles an account can have (a guest is not an account).</summary>
    public static readonly IReadOnlyList<string> All = [DomainAdmin, Technician, Operator, FieldEngineer];

    public static bool IsKnown(string? role) => role is DomainAdmin or Technician or Operator or FieldEngineer;
}

/// <summary>A user as the API shows it. <see cref="TotpEnrolled"/> says whether an authenticator is set up, never its secret.</summary>
public sealed record UserInfo(string Id, string Name, string Role, string DomainId = PolicyStore.DefaultDomain, bool Disabled = false, bool TotpEnrolled = false);

/// <summary>Users and their password hashes: the one place that owns the <c>users</c> table's SQL.</summary>
public sealed class UserStore(CloudDatabase database, TimeProvider time)
{
    private const string Columns = "id, name, role, domain_id, disabled, totp_secret IS NOT NULL";

    /// <summary>Creates a user; returns null when the name is taken.</summary>
    /// <exception cref="ArgumentException">Empty name or password, or an unknown role.</exception>
    public UserInfo? Create(string name, string password, string role, string domainId = PolicyStore.DefaultDomain)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrEmpty(password);
        if (!Roles.IsKnown(role))
        {
            throw new ArgumentException($"Unknown role '{role}'.", nameof(role));
        }

        var user = new UserInfo(Guid.NewGuid().ToString("N"), name, role, domainId);
        using var connection = database.Open();
        return connection.Execute(
            "INSERT OR IGNORE INTO users (id, name, password_hash, role, domain_id, created_at) VALUES ($id, $name, $hash, $role, $domain, $now)",
            ("$id", user.Id), ("$name", name), ("$hash", PasswordHasher.Hash(password)), ("$role", role), ("$domain", domainId), ("$now", Sql.Time(time.GetUtcNow()))) == 1
            ? user
            : null;
    }

    /// <summary>Checks a login. Takes the same time whether or not the user exists. A disabled user's right password still returns them (the caller refuses with its own message).</summary>
    public UserInfo? Verify(string name, string password)
    {
        using var connection = database.Open();
        var rows = connection.Query($"SELECT {Columns}, password_hash FROM users WHERE name = $name", r => (User: Read(r), Hash: r.GetString(6)), ("$name", name));
        if (rows.Count == 0)
        {
            PasswordHasher.Verify(password, DummyHash.Value);
            return null;
        }

        return PasswordHasher.Verify(password, rows[0].Hash) ? rows[0].User : null;
    }

    public UserInfo? Find(string id)
    {
        using var connection = database.Open();
        return connection.Query($"SELECT {Columns} FROM users WHERE id = $id", Read, ("$id", id)).FirstOrDefault();
    }

    public UserInfo? FindByName(string name)
    {
        using var connection = database.Open();
        return connection.Query($"SELECT {Columns} FROM users WHERE name = $name", Read, ("$name", name)).FirstOrDefault();
    }

    /// <summary>The users of a domain, by name.</summary>
    public IReadOnlyList<UserInfo> List(string domainId)
    {
        using var connection = database.Open();
        return connection.Query($"SELECT {Columns} FROM users WHERE domain_id = $domain ORDER BY name", Read, ("$domain", domainId));
    }

    public int Count()
    {
        using var connection = database.Open();
        return Convert.ToInt32(connection.Scalar("SELECT COUNT(*) FROM users"), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Changes role and/or disabled state; false when there is no such user.</summary>
    public bool Update(string id, string? role, bool? disabled)
    {
        if (role is not null && !Roles.IsKnown(role))
        {
            throw new ArgumentException($"Unknown role '{role}'.", nameof(role));
        }

        using var connection = database.Open();
        return connection.Execute(
            "UPDATE users SET role = COALESCE($role, role), disabled = COALESCE($disabled, disabled) WHERE id = $id",
            ("$id", id), ("$role", role), ("$disabled", disabled is null ? null : disabled.Value ? 1 : 0)) == 1;
    }

    /// <summary>Sets a new password; false when there is no such user.</summary>
    public bool SetPassword(string id, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        using var connection = database.Open();
        return connection.Execute("UPDATE users SET password_hash = $hash WHERE id = $id", ("$id", id), ("$hash", PasswordHasher.Hash(password))) == 1;
    }

    /// <summary>The user's RFC 6238 secret (Base32), or null before enrolment. Never leaves the cloud.</summary>
    public string? TotpSecret(string id)
    {
        using var connection = database.Open();
        return connection.Scalar("SELECT totp_secret FROM users WHERE id = $id", ("$id", id)) as string;
    }

    /// <summary>Stores (or, with null, removes) the user's TOTP secret.</summary>
    public bool SetTotpSecret(string id, string? base32Secret)
    {
        using var connection = database.Open();
        return connection.Execute("UPDATE users SET totp_secret = $secret WHERE id = $id", ("$id", id), ("$secret", base32Secret)) == 1;
    }

    /// <summary>
    /// Records that the user signed in with the TOTP code of time step <paramref name="step"/>; false when a code of
    /// that step or a later one was used already (a replayed code). One atomic statement, so two requests racing
    /// with the same code cannot both pass.
    /// </summary>
    public bool TryUseTotpStep(string id, long step)
    {
        using var connection = database.Open();
        return connection.Execute(
            "UPDATE users SET totp_last_step = $step WHERE id = $id AND (totp_last_step IS NULL OR totp_last_step < $step)",
            ("$id", id), ("$step", step)) == 1;
    }

    private static UserInfo Read(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0, r.GetInt64(5) != 0);

    private static readonly Lazy<string> DummyHash = new(() => PasswordHasher.Hash(PasswordHasher.NewPassword()));
}
