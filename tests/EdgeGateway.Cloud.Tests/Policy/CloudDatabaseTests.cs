using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Policy;

[Trait("Area", "Ssh")]
public sealed class CloudDatabaseTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Every migration script embedded in the cloud (each is journaled once).</summary>
    private static readonly long MigrationScripts = typeof(CloudDatabase).Assembly.GetManifestResourceNames().Count(n => n.Contains(".Policy.Migrations.", StringComparison.Ordinal));

    [Fact]
    public void Constructor_creates_the_folder_and_the_schema_in_WAL_mode()
    {
        var folder = _temp.Combine("data", "nested");

        var database = Open(folder);

        Assert.True(File.Exists(Path.Combine(folder, "cloud.db")));
        Assert.True(database.Ping());
        Assert.Equal(MigrationScripts, Scalar(database, "SELECT COUNT(*) FROM SchemaVersions"));
        Assert.Equal("wal", Scalar(database, "PRAGMA journal_mode"));
        Assert.Equal(1L, Scalar(database, "PRAGMA foreign_keys"));
        var tables = new List<string>();
        using (var connection = database.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Equal(
            ["SchemaVersions", "access_grants", "access_requests", "appliance_certificates", "appliances", "audit_events", "domains", "endpoint_certificates", "endpoint_policies", "endpoints", "favourite_endpoints", "group_members", "invites", "pairing_requests", "session_messages", "session_participants", "sessions", "user_groups", "users"],
            tables);
    }

    [Fact]
    public void Reopening_keeps_the_data_and_migrates_nothing_twice()
    {
        var folder = _temp.Combine("data");
        var time = new FakeTimeProvider();
        var created = new UserStore(Open(folder), time).Create("alice", "correct horse", Roles.Technician);
        Assert.NotNull(created);

        var reopened = Open(folder);
        var again = Open(folder);

        Assert.Equal(MigrationScripts, Scalar(again, "SELECT COUNT(*) FROM SchemaVersions"));
        var users = new UserStore(reopened, time);
        Assert.Equal(1, users.Count());
        Assert.Equal(created, users.Find(created.Id));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_database_from_before_the_migration_journal_is_brought_up_to_date_and_keeps_its_data(int userVersion)
    {
        // What the code before DbUp left: the version-1 (and maybe 2) schema, PRAGMA user_version, no journal.
        var folder = _temp.Combine("data");
        Directory.CreateDirectory(folder);
        using (var legacy = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(folder, "cloud.db")};Pooling=False"))
        {
            legacy.Open();
            using var command = legacy.CreateCommand();
            using var script = typeof(CloudDatabase).Assembly.GetManifestResourceStream("EdgeGateway.Cloud.Policy.Migrations.0001_initial.sql")!;
            command.CommandText = new StreamReader(script).ReadToEnd()
                + (userVersion >= 2 ? "ALTER TABLE sessions ADD COLUMN details TEXT;" : string.Empty)
                + $"PRAGMA user_version = {userVersion};"
                + "INSERT INTO users (id, name, password_hash, role, created_at) VALUES ('u1', 'alice', 'x', 'technician', '2026-01-01T00:00:00Z');";
            command.ExecuteNonQuery();
        }

        var migrated = Open(folder);

        Assert.Equal(1L, Scalar(migrated, "SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'details'"));
        Assert.Equal(1L, Scalar(migrated, "SELECT COUNT(*) FROM pragma_table_info('users') WHERE name = 'domain_id'"));
        Assert.Equal(MigrationScripts, Scalar(migrated, "SELECT COUNT(*) FROM SchemaVersions"));
        Assert.Equal(new UserInfo("u1", "alice", Roles.Technician), new UserStore(migrated, new FakeTimeProvider()).Find("u1"));
    }

    [Fact]
    public void Endpoints_go_with_their_appliance()
    {
        var database = Open(_temp.Combine("data"));
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO appliances (id, name) VALUES ('a', 'a');
            INSERT INTO endpoints (appliance_id, id, name, protocol, host, port) VALUES ('a', 'e', 'e', 'ssh', 'h', 22);
            DELETE FROM appliances WHERE id = 'a';
            SELECT COUNT(*) FROM endpoints;
            """;

        Assert.Equal(0L, command.ExecuteScalar());
    }

    private static CloudDatabase Open(string folder) => new(Options.Create(new CloudOptions { DataDirectory = folder }));

    private static object? Scalar(CloudDatabase database, string sql)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
