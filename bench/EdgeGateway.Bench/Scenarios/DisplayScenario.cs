using EdgeGateway.Bench.Reporting;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>4 — Display stream efficiency. VNC and RDP sessions do not exist yet: the rows say so, with no number.</summary>
public sealed class DisplayScenario : IScenario
{
    public const string Number = "4 display";

    public string Id => "display";

    public string Title => "Display stream efficiency (VNC/RDP)";

    public Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var protocol in new[] { "VNC", "RDP" })
        {
            context.Add(new Figure
            {
                Scenario = Number,
                Name = $"{protocol}: upstream bytes per screen change vs the native protocol",
                Unit = "—",
                Status = FigureStatus.NotYet,
                Note = $"{protocol} sessions are not built yet (see docs/ARCHITECTURE.md, 'Not built yet'): no figure until they are.",
            });
        }

        return Task.CompletedTask;
    }
}
