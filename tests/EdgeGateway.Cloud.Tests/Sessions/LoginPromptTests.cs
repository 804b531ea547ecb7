using System.Diagnostics.Metrics;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.Cloud.Tests.Sessions;

/// <summary>
/// The start of a session whose device asks the Controller something while logging in: the question comes back from
/// the start, only the starting user may answer, the answer goes to the appliance and nowhere else, and a start whose
/// question is left with the Controller still ends when the appliance ends it or goes away.
/// </summary>
[Trait("Area", "SshField")]
public sealed class LoginPromptTests : IDisposable
{
    private const string ApplianceId = "plant-9";
    private const string Code = "otp-731904";
    private static readonly UserInfo Alice = new("u1", "alice", Roles.Technician);

    private readonly TempDirectory _temp = new();
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ScriptedChannel _device = new(Answer);
    private readonly SessionService _sessions;

    public LoginPromptTests()
    {
        var time = new FakeTimeProvider();
        var options = Microsoft.Extensions.Options.Options.Create(new CloudOptions { DataDirectory = _temp.Path });
        var database = new CloudDatabase(options);
        var appliances = new ApplianceRegistry(database, time);
        _sessions = new SessionService(_device, appliances, database, options, new CloudMetrics(_metrics.GetRequiredService<IMeterFactory>()), time, NullLogger<SessionService>.Instance);
        _device.Service = _sessions;
        _sessions.OnControl(ApplianceId, new Hello("1.0", [new EndpointInfo("press", "Press", "ssh", "10.0.0.5", 22)], []));
    }

    public void Dispose()
    {
        _sessions.Dispose();
        _metrics.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task The_question_comes_back_only_its_starter_answers_and_the_answer_goes_to_the_appliance_alone()
    {
        var prompt = await AskedAsync();
        Assert.Equal("Verification code: ", Assert.Single(prompt.Prompts).Text);
        Assert.Empty(_sessions.List()); // not a session anyone can see or join yet

        var (_, stranger, _) = await _sessions.AnswerLoginAsync(new UserInfo("u2", "bob", Roles.DomainAdmin), prompt.SessionId, [new Secret(Code)], CancellationToken.None);
        Assert.Equal(403, stranger!.StatusCode);

        var (view, failure, next) = await _sessions.AnswerLoginAsync(Alice, prompt.SessionId, [new Secret(Code)], CancellationToken.None);
        Assert.Null(failure);
        Assert.Null(next);
        Assert.Equal(prompt.SessionId, view!.Id);
        Assert.Equal(Code, Assert.Single(Assert.Single(_device.Sent.OfType<AuthResponse>()).Answers).Reveal());

        // The session's record keeps nothing of the answer.
        foreach (var (file, text) in await DataFilesAsync())
        {
            Assert.False(text.Contains(Code, StringComparison.Ordinal), $"{file} holds the answer");
        }
    }

    /// <summary>
    /// Every file under the data folder with its bytes as text, read as one consistent scan: SQLite removes
    /// <c>cloud.db-wal</c> when the last connection closes (its pages are then in <c>cloud.db</c>), so a scan
    /// that meets a vanished file starts again rather than skipping it.
    /// </summary>
    private async Task<List<(string File, string Text)>> DataFilesAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var read = new List<(string, string)>();
            try
            {
                foreach (var file in Directory.EnumerateFiles(_temp.Path, "*", SearchOption.AllDirectories))
                {
                    read.Add((file, System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file))));
                }
                return read;
            }
            catch (FileNotFoundException) when (attempt < 10)
            {
            }
        }
    }

    [Fact]
    public async Task A_wrong_answer_ends_the_start_with_the_devices_refusal_and_a_late_answer_finds_nothing()
    {
        var prompt = await AskedAsync();

        var (_, refused, _) = await _sessions.AnswerLoginAsync(Alice, prompt.SessionId, [new Secret("000000")], CancellationToken.None);
        Assert.Equal(422, refused!.StatusCode);
        Assert.Equal("The device refused the login after the answer to \"Verification code\".", refused.Message);

        var (_, late, _) = await _sessions.AnswerLoginAsync(Alice, prompt.SessionId, [new Secret(Code)], CancellationToken.None);
        Assert.Equal(404, late!.StatusCode);
    }

    [Fact]
    public async Task A_question_left_with_the_Controller_ends_when_the_appliance_gives_up_or_goes_away()
    {
        var timedOut = await AskedAsync();
        _sessions.OnControl(ApplianceId, new SessionEnded(timedOut.SessionId, EndReason.AuthenticationFailed, "Nobody answered the device's question within 120 s."));
        var (_, ended, _) = await _sessions.AnswerLoginAsync(Alice, timedOut.SessionId, [new Secret(Code)], CancellationToken.None);
        Assert.Equal(404, ended!.StatusCode);

        var orphaned = await AskedAsync();
        _sessions.OnDisconnected(ApplianceId);
        var (_, gone, _) = await _sessions.AnswerLoginAsync(Alice, orphaned.SessionId, [new Secret(Code)], CancellationToken.None);
        Assert.Equal(404, gone!.StatusCode);
        Assert.DoesNotContain(_device.Sent.OfType<AuthResponse>(), r => r.SessionId == orphaned.SessionId);
    }

    private async Task<LoginPrompt> AskedAsync()
    {
        var (view, failure, prompt) = await _sessions.StartAsync(Alice, new StartRequest(ApplianceId, "press", "root", new Secret("pw"), 80, 24), CancellationToken.None);
        Assert.Null(view);
        Assert.Null(failure);
        return prompt!;
    }

    /// <summary>The appliance and its device: asks for a code after every start, accepts <see cref="Code"/> only.</summary>
    private static ControlMessage? Answer(ControlMessage message) => message switch
    {
        StartSession start => new AuthPrompt(start.SessionId, string.Empty, [new PromptField("Verification code: ", Echo: false)]),
        AuthResponse { Answers: [var answer] } response when answer.Reveal() == Code => new SessionStarted(response.SessionId),
        AuthResponse response => new SessionEnded(response.SessionId, EndReason.AuthenticationFailed, "The device refused the login after the answer to \"Verification code\"."),
        _ => null,
    };
}
