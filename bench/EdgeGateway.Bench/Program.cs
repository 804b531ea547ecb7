using EdgeGateway.Bench;
using EdgeGateway.Bench.Harness;

// Usage: EdgeGateway.Bench [--quick | --smoke] [--only keystroke,bytes,fanout,scale,display,field,joint,pairing,footprint,codec] [--results DIR] [--profile]
// scripts/bench.sh builds the solution and runs this; docs/BENCHMARKS.md quotes its full run.
var settings = BenchSettings.Full;
var only = new List<string>();
var results = Path.Combine(RepoPaths.Root, "results");
var profile = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            settings = BenchSettings.Quick;
            break;
        case "--smoke":
            settings = BenchSettings.Smoke;
            break;
        case "--profile":
            profile = true;
            break;
        case "--only" when i + 1 < args.Length:
            only.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            break;
        case "--results" when i + 1 < args.Length:
            results = Path.GetFullPath(args[++i]);
            break;
        case "--help" or "-h":
            Console.WriteLine("EdgeGateway.Bench [--quick | --smoke] [--only " + string.Join(',', BenchRunner.Scenarios.Select(s => s.Id)) + "] [--results DIR] [--profile]");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}' (try --help).");
            return 2;
    }
}

settings = settings with { Profile = profile };
var unknown = only.Except(BenchRunner.Scenarios.Select(s => s.Id)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown scenario(s): {string.Join(", ", unknown)}.");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var command = "scripts/bench.sh" + (args.Length > 0 ? " " + string.Join(' ', args) : string.Empty);
var outcome = await BenchRunner.RunAsync(settings, only, results, command, Console.Out, cancel.Token);
if (outcome.Problems.Count > 0)
{
    Console.Error.WriteLine($"{outcome.Problems.Count} problem(s): not every scenario produced numbers.");
    return 1;
}

Console.WriteLine($"Every scenario produced numbers ({settings.Mode} mode).");
return 0;
