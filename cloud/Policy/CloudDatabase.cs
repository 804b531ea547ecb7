using EdgeGateway.Cloud.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Cloud.Policy;

/// <summary>The embedded profile's store: one SQLite file in WAL mode in the data folder.</summary>
public sealed class CloudDatabase
{
    private readonly string _connectionString;

    public CloudDatabase(IOptions<CloudOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(options.Value.DataDirectory);
        DataDirectory = options.Value.DataDirectory;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(options.Value.DataDirectory, "cloud.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();
        Migrate();
    }

    /// <summary>The data folder the database file lives in (the audit log keeps its key beside it).</summary>
    public string DataDirectory { get; }

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

    /// <summary>
    /// Brings the schema up to date with DbUp: the scripts in <c>Policy/Migrations</c> (embedded, run in name order,
    /// each in its own transaction) and a <c>SchemaVersions</c> journal of those already run. A database from before
    /// the journal (PRAGMA user_version 1 or 2) has its first scripts marked as run.
    /// </summary>
    /// <exception cref="InvalidOperationException">A migration failed; the message names the script and the error.</exception>
    private void Migrate()
    {
        using (var connection = Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode = WAL;";
            command.ExecuteNonQuery();
            command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'SchemaVersions'";
            var journaled = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
            command.CommandText = "PRAGMA user_version;";
            var legacyVersion = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            if (!journaled && legacyVersion > 0)
            {
                var legacy = Engine(name => ScriptNumber(name) <= legacyVersion).MarkAsExecuted();
                if (!legacy.Successful)
                {
                    throw new InvalidOperationException($"Could not record the existing schema (version {legacyVersion}): {legacy.Error.Message}", legacy.Error);
                }
            }
        }

        var result = Engine(_ => true).PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"Database migration {result.ErrorScript?.Name} failed: {result.Error.Message}", result.Error);
        }
    }

    private DbUp.Engine.UpgradeEngine Engine(Func<string, bool> filter) =>
        DbUp.DeployChanges.To.SqliteDatabase(_connectionString)
            .WithScriptsEmbeddedInAssembly(typeof(CloudDatabase).Assembly, name => name.Contains(".Policy.Migrations.", StringComparison.Ordinal) && filter(name))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build();

    /// <summary>The number a migration script's name starts with (<c>…Migrations.0002_x.sql</c> → 2).</summary>
    private static int ScriptNumber(string resourceName)
    {
        var file = resourceName[(resourceName.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
        return int.Parse(file.AsSpan(0, 4), System.Globalization.CultureInfo.InvariantCulture);
    }
}
