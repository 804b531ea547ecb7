using EdgeGateway.Bench;
using EdgeGateway.Bench.Reporting;
using Xunit.Abstractions;

namespace EdgeGateway.Bench.Tests;

/// <summary>
/// The benchmark harness's smoke run, in the normal suite: every scenario runs (small) and produces numbers. It
/// asserts that the harness works, never how fast anything is — figures on a shared CI machine mean nothing.
/// Needs what the end-to-end tests need (root, sshd, libvterm, the Release build of the cloud and appliance).
/// </summary>
[Trait("Area", "Bench")]
public sealed class BenchSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_scenario_runs_and_produces_numbers()
    {
        var results = Directory.CreateTempSubdirectory("eg-bench-smoke-").FullName;
        try
        {
            using var log = new StringWriter();
            // A bound on a hung harness, not a speed goal: nine scenarios, the display one over VNC and RDP, take about
            // 3.5 min on two busy cores.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            var outcome = await BenchRunner.RunAsync(BenchSettings.Smoke, only: null, results, "dotnet test --filter Area=Bench", log, timeout.Token);
            output.WriteLine(log.ToString());

            Assert.Empty(outcome.Problems);
            Assert.Equal(BenchRunner.Scenarios.Select(s => s.Id), outcome.Report.Scenarios.Select(s => s.Id));
            Assert.All(outcome.Report.Scenarios, s => Assert.Null(s.Error));
            Assert.Contains(outcome.Report.Figures, f => f.Name.StartsWith("RDP:", StringComparison.Ordinal) && f.HasNumbers);
            Assert.All(outcome.Report.Figures.Where(f => f.Status == FigureStatus.Measured), f => Assert.True(f.HasNumbers, $"{f.Scenario} / {f.Name} has no finite numbers"));
            foreach (var file in new[] { "results.json", "table.md", "table.txt", "ratios.svg", "latency.svg" })
            {
                Assert.True(new FileInfo(Path.Combine(outcome.Directory, file)).Length > 0, $"{file} is missing or empty");
            }
        }
        finally
        {
            Directory.Delete(results, recursive: true);
        }
    }
}
