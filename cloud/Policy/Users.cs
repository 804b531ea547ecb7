using System.Globalization;

namespace EdgeGateway.Cloud.Policy;

/// <summary>The roles of the product.</summary>
public static class Roles
{
    public const string DomainAdmin = "domain-admin";
    public const string Technician = "technician";
    public const string Operator = "operator";
    public const string FieldEngineer = "field-engineer";

    public static bool IsKnown(string role) => role is DomainAdmin or Technician or Operator or FieldEngineer;
}

/// <summary>A user as the API shows it.</summary>
public sealed record UserInfo(string Id, string Name, string Role);

/// <summary>Users and their password hashes.</summary>
public sealed class UserStore(CloudDatabase database, TimeProvider time)
{
    /// <summary>Creates a user; returns null when the name is taken.</summary>
    public UserInfo? Create(string name, string password, string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrEmpty(password);
        if (!Roles.IsKnown(role))
        {
            throw new ArgumentException($"Unknown role '{role}'.", nameof(role));
        }

        var user = new UserInfo(Guid.NewGuid().ToString("N"), name, role);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO users (id, name, password_hash, role, created_at) VALUES ($id, $name, $hash, $role, $now)";
        command.Parameters.AddWithValue("$id", user.Id);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$hash", PasswordHasher.Hash(password));
        command.Parameters.AddWithValue("$role", role);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        return command.ExecuteNonQuery() == 1 ? user : null;
    }

    /// <summary>Checks a login. Takes the same time whether or not the user exists.</summary>
    public UserInfo? Verify(string name, string password)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, role, password_hash FROM users WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            PasswordHasher.Verify(password, DummyHash.Value);
            return null;
        }

        var user = new UserInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2));
        return PasswordHasher.Verify(password, reader.GetString(3)) ? user : null;
    }

    public UserInfo? Find(string id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, role FROM users WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new UserInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    public int Count()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM users";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static readonly Lazy<string> DummyHash = new(() => PasswordHasher.Hash(PasswordHasher.NewPassword()));
}
