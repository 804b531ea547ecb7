using EdgeGateway.Cloud.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Cloud.Policy;

/// <summary>The embedded profile's store: one SQLite file in WAL mode in the data folder.</summary>
public sealed class CloudDatabase
{
    private const int SchemaVersion = 2;

    private readonly string _connectionString;

    public CloudDatabase(IOptions<CloudOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(options.Value.DataDirectory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(options.Value.DataDirectory, "cloud.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();
        Migrate();
    }

    /// <summary>Opens a connection (pooled).</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>True when the database answers (readiness).</summary>
    public bool Ping()
    {
        try
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    private void Migrate()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (version >= SchemaVersion)
        {
            return;
        }

        using var transaction = connection.BeginTransaction();
        command.Transaction = transaction;
        if (version < 1)
        {
            CreateVersion1(command);
        }

        // 2: what each session's connection negotiated and the device's banner (SessionDetails as JSON).
        command.CommandText = "ALTER TABLE sessions ADD COLUMN details TEXT; PRAGMA user_version = 2;";
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    private static void CreateVersion1(Microsoft.Data.Sqlite.SqliteCommand command)
    {
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS users (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL,
                created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS appliances (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                software_version TEXT NOT NULL DEFAULT '',
                last_seen TEXT);
            CREATE TABLE IF NOT EXISTS endpoints (
                appliance_id TEXT NOT NULL REFERENCES appliances(id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                protocol TEXT NOT NULL,
                host TEXT NOT NULL,
                port INTEGER NOT NULL,
                PRIMARY KEY (appliance_id, id));
            CREATE TABLE IF NOT EXISTS sessions (
                id TEXT PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                appliance_id TEXT NOT NULL,
                endpoint_id TEXT NOT NULL,
                endpoint_name TEXT NOT NULL,
                controller_id TEXT NOT NULL,
                started_at TEXT NOT NULL,
                ended_at TEXT,
                end_reason TEXT,
                end_message TEXT);
            PRAGMA user_version = 1;
            """;
        command.ExecuteNonQuery();
    }
}
