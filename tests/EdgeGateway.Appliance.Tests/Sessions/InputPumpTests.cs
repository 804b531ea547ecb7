using System.Collections.Concurrent;
using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.Logging;

namespace EdgeGateway.Appliance.Tests.Sessions;

/// <summary>
/// The appliance's side of input flow control: in order, never holding the uplink's receive path while a device
/// makes it wait, bounded by the window, and every unit of credit returned.
/// </summary>
[Trait("Area", "SshField")]
public sealed class InputPumpTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly LogCollector _logs = new();
    private readonly Device _device = new();
    private readonly ConcurrentQueue<long> _acks = new();
    private readonly InputPump _pump;

    private readonly ConcurrentQueue<InputPump.PasteCut> _cuts = new();

    public InputPumpTests() => _pump = new InputPump(_device, _acks.Enqueue, _logs.CreateLogger("pump"), _cuts.Enqueue);

    public void Dispose()
    {
        _device.Open();
        _logs.Dispose();
    }

    [Fact]
    public async Task A_keystroke_on_an_idle_session_is_written_before_the_call_returns_on_the_callers_thread()
    {
        var thread = Environment.CurrentManagedThreadId;

        var submitted = _pump.SubmitAsync(Input(0), "a"u8.ToArray());

        Assert.True(submitted.IsCompletedSuccessfully);
        await submitted;
        Assert.Equal("a", _device.Text);
        Assert.Equal(thread, _device.Threads.Single());
    }

    [Fact]
    public async Task While_the_device_holds_a_write_the_uplink_is_not_held_and_later_input_keeps_its_order()
    {
        _device.Close();
        var chunk = Filled('x', InputFlow.MaxChunk);

        // Each submit returns at once although the device takes nothing: the uplink's receive path goes on.
        await _pump.SubmitAsync(Input(0), chunk).AsTask().WaitAsync(Wait);
        await _device.Entered.WaitAsync(Wait);
        await _pump.SubmitAsync(Input(1), "k"u8.ToArray()).AsTask().WaitAsync(Wait);
        await _pump.SubmitAsync(Input(2), Filled('y', 100)).AsTask().WaitAsync(Wait);
        Assert.Equal(string.Empty, _device.Text);

        _device.Open();
        await _device.WaitForLengthAsync(InputFlow.MaxChunk + 101, Wait);

        Assert.Equal(new string('x', InputFlow.MaxChunk) + "k" + new string('y', 100), _device.Text);
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, _device.Threads);
    }

    [Fact]
    public async Task Credit_comes_back_in_acks_of_at_least_the_threshold_and_keystrokes_alone_send_none()
    {
        for (var i = 0; i < 10; i++)
        {
            await _pump.SubmitAsync(Input((ulong)i), "k"u8.ToArray());
        }

        Assert.Empty(_acks); // ten keystrokes cost ~10 KiB: no control message for them

        var chunk = Filled('p', InputFlow.MaxChunk);
        for (var i = 0; i < 8; i++)
        {
            await _pump.SubmitAsync(Input((ulong)(10 + i)), chunk);
        }

        await _device.WaitForLengthAsync(10 + 8 * InputFlow.MaxChunk, Wait);
        var expected = 10 * InputFlow.Cost(1) + 8 * InputFlow.Cost(InputFlow.MaxChunk);
        await Conditions.WaitUntilAsync(() => _acks.Sum() > expected - InputFlow.AckThreshold, Wait, "the written input to be acknowledged");
        Assert.All(_acks, units => Assert.True(units >= InputFlow.AckThreshold));
        Assert.True(_acks.Sum() <= expected);
    }

    [Fact]
    public async Task Input_beyond_the_window_is_refused_loudly_not_buffered_and_its_credit_returned()
    {
        _device.Close();
        var chunk = Filled('w', InputFlow.MaxChunk);
        var fits = InputFlow.Window / InputFlow.Cost(InputFlow.MaxChunk);

        // The first chunk is taken by the (blocked) writer; then the queue fills up to the window.
        await _pump.SubmitAsync(Input(0), chunk);
        await _device.Entered.WaitAsync(Wait);
        for (var i = 1; i <= fits; i++)
        {
            await _pump.SubmitAsync(Input((ulong)i), chunk);
        }

        Assert.True(_pump.QueuedUnits <= InputFlow.Window, $"{_pump.QueuedUnits} units queued");
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("flow-control window", StringComparison.Ordinal));

        _device.Open();
        await _device.WaitForLengthAsync(fits * InputFlow.MaxChunk, Wait);
        Assert.Equal(fits * InputFlow.MaxChunk, _device.Text.Length); // exactly what the window held, in order
        await Conditions.WaitUntilAsync(() => _acks.Sum() > (fits + 1) * (long)InputFlow.Cost(InputFlow.MaxChunk) - InputFlow.AckThreshold, Wait, "the credit of every frame back");
    }

    [Fact]
    public async Task A_write_the_device_refuses_drops_the_rest_of_its_burst_with_a_warning_and_returns_all_credit()
    {
        _device.Close();
        var chunk = Filled('f', InputFlow.MaxChunk);
        await _pump.SubmitAsync(Input(0), chunk);
        await _device.Entered.WaitAsync(Wait);
        for (var i = 1; i < 8; i++)
        {
            await _pump.SubmitAsync(Input((ulong)i), chunk);
        }

        _device.Fail(new IOException("channel window timeout"));

        await Conditions.WaitUntilAsync(() => _acks.Sum() >= 8L * InputFlow.Cost(InputFlow.MaxChunk) - InputFlow.AckThreshold, Wait, "the credit of the eight frames back");
        await Conditions.WaitUntilAsync(() => _pump.QueuedUnits == 0, Wait, "an empty pump queue");
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("could not be written", StringComparison.Ordinal));
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("were dropped", StringComparison.Ordinal));
        Assert.Equal(string.Empty, _device.Text);

        // The next input is a new start.
        await _pump.SubmitAsync(Input(9), "n"u8.ToArray());
        Assert.Equal("n", _device.Text);
    }

    [Fact]
    public async Task Once_a_slice_of_a_paste_is_refused_the_rest_of_that_paste_is_refused_too_and_the_cut_is_reported()
    {
        // The device goes quiet for the third slice ('c') only: the later slices would pass, and make a hole.
        _device.RefuseStartingWith = (byte)'c';
        for (var i = 0; i < 6; i++)
        {
            await _pump.SubmitAsync(Slice(i, 6), Filled((char)('a' + i), InputFlow.MaxChunk));
        }

        await Conditions.WaitUntilAsync(() => !_cuts.IsEmpty, Wait, "the paste's cut to be reported");
        Assert.Equal(new string('a', InputFlow.MaxChunk) + new string('b', InputFlow.MaxChunk), _device.Text);
        var cut = Assert.Single(_cuts);
        Assert.Equal(new InputPump.PasteCut(2L * InputFlow.MaxChunk, 6L * InputFlow.MaxChunk), cut);
        Assert.Equal("The device stopped responding; 32 KiB of the 96 KiB paste reached it, the rest was not sent.", cut.Describe());

        // The next paste and the next keystroke are new starts.
        await _pump.SubmitAsync(Slice(0, 1), "p"u8.ToArray());
        await _pump.SubmitAsync(Input(7), "k"u8.ToArray());
        await _device.WaitForLengthAsync(2 * InputFlow.MaxChunk + 2, Wait);
        Assert.EndsWith("pk", _device.Text, StringComparison.Ordinal);
        Assert.Single(_cuts);
    }

    [Fact]
    public async Task A_failed_write_in_a_paste_refuses_its_queued_and_its_later_slices_and_reports_the_cut()
    {
        _device.Close();
        var chunk = Filled('f', InputFlow.MaxChunk);
        await _pump.SubmitAsync(Slice(0, 5), chunk);
        await _device.Entered.WaitAsync(Wait);
        await _pump.SubmitAsync(Slice(1, 5), chunk);
        _device.Fail(new IOException("channel window timeout"));
        await Conditions.WaitUntilAsync(() => _pump.QueuedUnits == 0, Wait, "the queued slice to be dropped");

        // Slices that arrive after the failure belong to the same paste: refused, although the device takes input again.
        for (var i = 2; i < 5; i++)
        {
            await _pump.SubmitAsync(Slice(i, 5), chunk);
        }

        await Conditions.WaitUntilAsync(() => !_cuts.IsEmpty, Wait, "the paste's cut to be reported");
        Assert.Equal(string.Empty, _device.Text);
        Assert.Equal(new InputPump.PasteCut(0, 5L * InputFlow.MaxChunk), Assert.Single(_cuts));
    }

    [Fact]
    public async Task A_slice_refused_over_the_window_cuts_its_paste_there_and_later_slices_with_room_are_refused_too()
    {
        _device.Close();
        var chunk = Filled('q', InputFlow.MaxChunk);
        var fits = InputFlow.Window / InputFlow.Cost(InputFlow.MaxChunk);
        var count = fits + 4;
        await _pump.SubmitAsync(Slice(0, count), chunk);
        await _device.Entered.WaitAsync(Wait);
        for (var i = 1; i <= fits + 1; i++)
        {
            await _pump.SubmitAsync(Slice(i, count), chunk); // the last two of these find the window full
        }

        _device.Open();
        await Conditions.WaitUntilAsync(() => _pump.QueuedUnits == 0, Wait, "the queue to drain");
        for (var i = fits + 2; i < count; i++)
        {
            await _pump.SubmitAsync(Slice(i, count), chunk); // room again, but they follow the refused slice
        }

        await Conditions.WaitUntilAsync(() => !_cuts.IsEmpty, Wait, "the paste's cut to be reported");
        Assert.Equal(fits * InputFlow.MaxChunk, _device.Text.Length); // the window held the one being written and fits - 1 more
        Assert.Equal(new InputPump.PasteCut((long)fits * InputFlow.MaxChunk, (long)count * InputFlow.MaxChunk), Assert.Single(_cuts));
    }

    [Fact]
    public async Task After_the_session_ends_nothing_more_is_written()
    {
        _pump.Close();

        await _pump.SubmitAsync(Input(0), "late"u8.ToArray());

        Assert.Equal(string.Empty, _device.Text);
        Assert.Equal(0, _pump.QueuedUnits);
    }

    private static FrameHeader Input(ulong sequence) => new(FrameType.TerminalInput, FrameFlags.None, 0, sequence);

    /// <summary>Slice <paramref name="index"/> of a paste of <paramref name="count"/> slices, flagged as the cloud flags it.</summary>
    private static FrameHeader Slice(int index, int count) => new(
        FrameType.TerminalInput,
        FrameFlags.Paste | (index == 0 ? FrameFlags.PasteStart : FrameFlags.None) | (index == count - 1 ? FrameFlags.PasteEnd : FrameFlags.None),
        0,
        1);

    private static byte[] Filled(char c, int length) => Enumerable.Repeat((byte)c, length).ToArray();


    /// <summary>
    /// A device session whose writes can be held (a shut SSH window) or failed. It stands in for the SSH session only:
    /// the pump under test is the real one.
    /// </summary>
    private sealed class Device : IDeviceSession
    {
        private readonly Lock _gate = new();
        private readonly System.Text.StringBuilder _written = new();
        private ManualResetEventSlim _open = new(initialState: true);
        private Exception? _failure;
        private TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string SessionId => "0123456789abcdef0123456789abcdef";

        public string ControllerId => "controller";

        public Task<SessionOutcome> Completion => new TaskCompletionSource<SessionOutcome>().Task;

        public EdgeGateway.Protocol.Control.SessionDetails? Details => null;

        public ConcurrentBag<int> Threads { get; } = [];

        /// <summary>Completes when a write is waiting at the closed gate.</summary>
        public Task Entered => _entered.Task;

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return _written.ToString();
                }
            }
        }

        public void Close()
        {
            _entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _open.Reset();
        }

        public void Open() => _open.Set();

        public void Fail(Exception failure)
        {
            _failure = failure;
            _open.Set();
        }

        public async Task WaitForLengthAsync(int length, TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (Text.Length < length)
            {
                await Task.Delay(5, deadline.Token);
            }
        }

        public Task<bool> StartAsync(StartSession start, CancellationToken cancellationToken) => Task.FromResult(true);

        /// <summary>
        /// Input that starts with this byte is refused (not written), as a session refuses it while the device is not
        /// responding; everything else is taken.
        /// </summary>
        public byte? RefuseStartingWith { get; set; }

        public ValueTask<bool> HandleInputAsync(FrameHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            if (payload.Length > 0 && payload.Span[0] == RefuseStartingWith)
            {
                return ValueTask.FromResult(false);
            }

            // Blocks the calling thread like SSH.NET's ShellStream.Write on a shut channel window.
            _entered.TrySetResult();
            _open.Wait(cancellationToken);
            Threads.Add(Environment.CurrentManagedThreadId);
            if (Interlocked.Exchange(ref _failure, null) is { } failure)
            {
                throw failure;
            }

            lock (_gate)
            {
                _written.Append(System.Text.Encoding.ASCII.GetString(payload.Span));
            }

            return ValueTask.FromResult(true);
        }

        public void OnAuthResponse(IReadOnlyList<Secret> answers)
        {
        }

        public ValueTask SendKeyframeAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask StopAsync(EndReason reason, string message) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync()
        {
            _open.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
