using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Cloud.Tests.Sessions;

/// <summary>The cloud's credit for a session's input: the Controller's WebSocket is read only while there is some.</summary>
[Trait("Area", "SshField")]
public sealed class InputWindowTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void Acquiring_within_the_window_completes_at_once()
    {
        var window = new InputWindow(InputFlow.Window);

        for (var i = 0; i < 200; i++)
        {
            Assert.True(window.AcquireAsync(InputFlow.Cost(1), CancellationToken.None).IsCompletedSuccessfully); // keystrokes never wait
        }

        Assert.Equal(200 * InputFlow.Cost(1), window.InFlight);
    }

    [Fact]
    public async Task A_full_window_waits_for_an_acknowledgement_and_then_goes_on()
    {
        var window = new InputWindow(InputFlow.Window);
        var chunk = InputFlow.Cost(InputFlow.MaxChunk);
        var sent = 0;
        while (window.AcquireAsync(chunk, CancellationToken.None) is { IsCompletedSuccessfully: true })
        {
            sent++;
        }

        // The acquire that did not complete is the reader, stopped: nothing more is read from the browser.
        Assert.Equal(InputFlow.Window / chunk, sent);
        var waiting = window.AcquireAsync(chunk, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.True(window.InFlight <= InputFlow.Window);

        window.Release(chunk - 1);
        Assert.False(waiting.IsCompleted); // one unit short

        window.Release(InputFlow.AckThreshold);
        await waiting.WaitAsync(Wait);
        Assert.True(window.InFlight <= InputFlow.Window);
    }

    [Fact]
    public async Task A_reset_lets_a_waiting_reader_go_and_late_acks_never_make_credit_negative()
    {
        var window = new InputWindow(1000);
        await window.AcquireAsync(1000, CancellationToken.None);
        var waiting = window.AcquireAsync(10, CancellationToken.None).AsTask();

        window.Reset();
        await waiting.WaitAsync(Wait);
        Assert.Equal(10, window.InFlight);

        window.Release(1000); // an ack for what was in flight before the reset
        Assert.Equal(0, window.InFlight);
        Assert.True(window.AcquireAsync(1000, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_waiting_reader_is_cancelled_when_its_connection_ends()
    {
        var window = new InputWindow(100);
        await window.AcquireAsync(100, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = window.AcquireAsync(1, cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(100, window.InFlight);
    }

    [Fact]
    public void More_than_the_whole_window_is_a_bug_not_a_wait()
    {
        var window = new InputWindow(100);

        Assert.Throws<ArgumentOutOfRangeException>(() => window.AcquireAsync(101, CancellationToken.None));
    }
}
