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

    [Fact]
    public void Constructor_creates_the_folder_and_the_schema_in_WAL_mode()
    {
        var folder = _temp.Combine("data", "nested");

        var database = Open(folder);

        Assert.True(File.Exists(Path.Combine(folder, "cloud.db")));
        Assert.True(database.Ping());
        Assert.Equal(2L, Scalar(database, "PRAGMA user_version"));
        Assert.Equal("wal", Scalar(database, "PRAGMA journal_mode"));
        Assert.Equal(1L, Scalar(database, "PRAGMA foreign_keys"));
        var tables = new List<string>();
        using (var connection = database.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["appliances", "endpoints", "sessions", "users"], tables);
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

        Assert.Equal(2L, Scalar(again, "PRAGMA user_version"));
        var users = new UserStore(reopened, time);
        Assert.Equal(1, users.Count());
        Assert.Equal(created, users.Find(created.Id));
    }

    [Fact]
    public void A_version_1_database_gains_the_session_details_column_and_keeps_its_data()
    {
        var folder = _temp.Combine("data");
        var time = new FakeTimeProvider();
        var created = new UserStore(Open(folder), time).Create("alice", "correct horse", Roles.Technician);
        Assert.Equal(1L, Scalar(Open(folder), "ALTER TABLE sessions DROP COLUMN details; PRAGMA user_version = 1; SELECT 1"));

        var migrated = Open(folder);

        Assert.Equal(2L, Scalar(migrated, "PRAGMA user_version"));
        Assert.Equal(1L, Scalar(migrated, "SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'details'"));
        Assert.Equal(created, new UserStore(migrated, time).Find(created!.Id));
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
