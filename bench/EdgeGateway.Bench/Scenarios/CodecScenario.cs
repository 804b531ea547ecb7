using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using EdgeGateway.Bench.Codec;
using EdgeGateway.Bench.Reporting;
using Perfolizer.Horology;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// 6 — Codec micro-benchmarks with BenchmarkDotNet (MemoryDiagnoser): FrameCodec.Write/TryRead/TryReadMessage and
/// ControlCodec encode/decode, each against a copy of the same bytes. In-process toolchain (no generated project to
/// build), so the harness stays one command; BenchmarkDotNet's own report is kept in results/…/codec/.
/// </summary>
public sealed class CodecScenario : IScenario
{
    public const string Number = "6 codec";

    public string Id => "codec";

    public string Title => "Codec micro-benchmarks (BenchmarkDotNet)";

    public Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = context.Settings.Codec switch
        {
            CodecJob.Dry => Job.Dry,
            CodecJob.Short => Job.ShortRun.WithIterationTime(TimeInterval.FromMilliseconds(25)).WithWarmupCount(1).WithIterationCount(3),
            _ => Job.Default.WithWarmupCount(5).WithIterationCount(15).WithIterationTime(TimeInterval.FromMilliseconds(250)),
        };
        var artifacts = Path.Combine(context.OutputDirectory, "codec");
        Directory.CreateDirectory(artifacts);
        using var log = new StreamLogger(Path.Combine(artifacts, "benchmarkdotnet.log"));
        var config = ManualConfig.CreateEmpty()
            .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance).WithId(context.Settings.Codec.ToString()))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(log)
            .AddColumnProvider(BenchmarkDotNet.Columns.DefaultColumnProviders.Instance)
            .AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.GitHub)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.DisableLogFile);
        foreach (var type in new[] { typeof(FrameCodecBenchmarks), typeof(ControlCodecBenchmarks) })
        {
            var summary = BenchmarkRunner.Run(type, config);
            if (summary.HasCriticalValidationErrors || summary.Reports.Length == 0)
            {
                throw new InvalidOperationException($"BenchmarkDotNet could not run {type.Name}: {string.Join("; ", summary.ValidationErrors.Select(e => e.Message))}");
            }

            Report(context, summary, type == typeof(FrameCodecBenchmarks));
        }

        return Task.CompletedTask;
    }

    private static void Report(BenchContext context, Summary summary, bool isFrameCodec)
    {
        foreach (var group in summary.Reports.GroupBy(r => r.BenchmarkCase.Parameters.DisplayInfo))
        {
            var baseline = group.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Baseline);
            var baseDistribution = baseline is null ? null : NanosecondsPerOp(baseline);
            var parameter = Describe(group.Key);
            foreach (var report in group.Where(r => !r.BenchmarkCase.Descriptor.Baseline))
            {
                var name = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'') + ", " + parameter;
                var measured = NanosecondsPerOp(report);
                if (measured is null)
                {
                    throw new InvalidOperationException($"BenchmarkDotNet produced no measurements for {name}.");
                }

                var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? -1;
                var figure = baseDistribution is null
                    ? Figure.Alone(Number, name, "ns/op", measured)
                    : Figure.Compare(Number, name, "ns/op", measured, baseline!.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''), baseDistribution);
                context.Add(figure with
                {
                    Goal = isFrameCodec ? "0 B allocated per frame" : null,
                    GoalMet = isFrameCodec ? allocated == 0 : null,
                    Note = $"Allocated {allocated} B/op (MemoryDiagnoser). Samples are BenchmarkDotNet iterations (each many operations), {report.BenchmarkCase.Job.Id} job, in-process.",
                });
            }
        }
    }

    private static string Describe(string parameters) =>
        parameters.Replace("[", string.Empty, StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal)
            .Replace("PayloadBytes=", "payload ", StringComparison.Ordinal).Replace("Message=", "message ", StringComparison.Ordinal);

    private static Distribution? NanosecondsPerOp(BenchmarkReport report)
    {
        var values = report.AllMeasurements
            .Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Result)
            .Select(m => m.Nanoseconds / m.Operations)
            .ToList();
        return values.Count == 0 ? null : Distribution.Of(values);
    }
}
