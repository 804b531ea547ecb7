using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.Appliance.Tests.Sessions;

/// <summary>The liveness rules on a fake clock: interval 5 s, count 2, doubt after 2 s (the defaults).</summary>
[Trait("Area", "SshField")]
public sealed class LivenessMonitorTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<Liveness> _changes = [];
    private readonly LivenessMonitor _monitor;
    private int _probes;

    public LivenessMonitorTests() =>
        _monitor = new LivenessMonitor(new LivenessOptions(), _time, () => { _probes++; _monitor!.ProbeSent(); }, s => _changes.Add(s));

    public void Dispose() => _monitor.Dispose();

    [Fact]
    public void A_silent_device_is_probed_every_interval_and_an_answer_keeps_it_alive()
    {
        Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(0, _probes);
        Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal(1, _probes);

        _monitor.Heard(); // at 5.1 s
        Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(1, _probes);
        Advance(TimeSpan.FromSeconds(0.6)); // the timer ticks every 0.5 s: at 10.5 s, 5.4 s of silence
        Assert.Equal(2, _probes);
        _monitor.Heard();

        Advance(TimeSpan.FromMinutes(1), answer: true);
        Assert.Equal(Liveness.Responding, _monitor.State);
        Assert.Empty(_changes);
    }

    [Fact]
    public void A_frozen_idle_device_is_in_doubt_after_the_doubt_time_and_dead_after_the_liveness_time()
    {
        Advance(TimeSpan.FromSeconds(5.1)); // first probe
        Advance(TimeSpan.FromSeconds(1.8));
        Assert.Equal(Liveness.Responding, _monitor.State);
        Advance(TimeSpan.FromSeconds(0.3));
        Assert.Equal(Liveness.NotResponding, _monitor.State);
        Assert.False(_monitor.TryAdmitInput());

        Advance(TimeSpan.FromSeconds(2.6)); // 9.8 s of silence
        Assert.Equal(Liveness.NotResponding, _monitor.State);
        Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(Liveness.Dead, _monitor.State);
        Assert.Equal([Liveness.NotResponding, Liveness.Dead], _changes);
        Assert.Equal(1, _probes); // at 5 s of silence; at 10 s the liveness time was up
    }

    [Fact]
    public void Input_to_a_device_that_froze_while_typing_is_refused_within_the_doubt_time()
    {
        Advance(TimeSpan.FromSeconds(3));
        Assert.True(_monitor.TryAdmitInput()); // sent, with a probe behind it
        Assert.Equal(1, _probes);
        Assert.True(_monitor.TryAdmitInput()); // a probe is already out: no second one
        Assert.Equal(1, _probes);

        Advance(TimeSpan.FromSeconds(2.1));
        Assert.Equal(Liveness.NotResponding, _monitor.State);
        Assert.False(_monitor.TryAdmitInput());
    }

    [Fact]
    public void The_doubt_time_runs_from_when_the_probe_went_out_not_from_when_it_was_asked_for()
    {
        using var monitor = new LivenessMonitor(new LivenessOptions(), _time, () => { }, s => _changes.Add(s));
        Assert.True(monitor.TryAdmitInput()); // the probe waits behind a busy thread pool
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(Liveness.Responding, monitor.State);

        monitor.ProbeSent();
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(Liveness.Responding, monitor.State);
        _time.Advance(TimeSpan.FromSeconds(0.6));
        Assert.Equal(Liveness.NotResponding, monitor.State);
    }

    [Fact]
    public void An_answer_that_comes_before_the_send_is_reported_is_not_waited_for_again()
    {
        // The keep-alive's reply is taken on the connection's receive thread while the thread that wrote the probe has
        // not yet said so (a loaded box): the doubt clock must not start after the answer. It did, and 2 s later a live
        // device was "not responding" and the Controller's typing was refused (the uplink-cut test's missing echo).
        using var monitor = new LivenessMonitor(new LivenessOptions(), _time, () => { }, s => _changes.Add(s));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(monitor.TryAdmitInput()); // the probe goes out
        _time.Advance(TimeSpan.FromMilliseconds(1));
        monitor.Heard(); // its answer
        _time.Advance(TimeSpan.FromMilliseconds(5));
        monitor.ProbeSent(); // the sender reports, late

        for (var i = 0; i < 8; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
        }

        Assert.Equal(Liveness.Responding, monitor.State);
        Assert.True(monitor.TryAdmitInput());
        Assert.Empty(_changes);
    }

    [Fact]
    public void A_device_heard_again_responds_and_takes_input()
    {
        Assert.True(_monitor.TryAdmitInput());
        Advance(TimeSpan.FromSeconds(2.5));
        Assert.Equal(Liveness.NotResponding, _monitor.State);

        _monitor.Heard();

        Assert.Equal(Liveness.Responding, _monitor.State);
        Assert.Equal([Liveness.NotResponding, Liveness.Responding], _changes);
        Assert.True(_monitor.TryAdmitInput());
    }

    [Fact]
    public void Typing_into_a_live_device_never_puts_it_in_doubt()
    {
        for (var i = 0; i < 200; i++)
        {
            Assert.True(_monitor.TryAdmitInput());
            Advance(TimeSpan.FromMilliseconds(150));
            _monitor.Heard(); // the echo
        }

        Assert.Empty(_changes);
    }

    [Fact]
    public void With_an_input_grace_input_a_device_answers_sends_no_probe_and_unanswered_input_one()
    {
        var probes = 0;
        using var monitor = new LivenessMonitor(new LivenessOptions(), _time, () => probes++, s => _changes.Add(s), inputGrace: TimeSpan.FromMilliseconds(250));

        // Typing with echoes: no probe at all (a probe's answer would delay the next echo on an RFB server).
        for (var i = 0; i < 20; i++)
        {
            Assert.True(monitor.TryAdmitInput());
            _time.Advance(TimeSpan.FromMilliseconds(50));
            monitor.Heard();
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(0, probes);

        // A key the device does not answer: a probe at the first tick after the grace, and the doubt after the doubt time.
        Assert.True(monitor.TryAdmitInput());
        for (var i = 0; i < 4; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(0, probes);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, probes);
        _time.Advance(TimeSpan.FromSeconds(2.5));
        Assert.Equal(Liveness.NotResponding, monitor.State);
        Assert.Equal(1, probes);
    }

    [Fact]
    public void Dead_is_final()
    {
        Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(Liveness.Dead, _monitor.State);

        _monitor.Heard();

        Assert.Equal(Liveness.Dead, _monitor.State);
        Assert.False(_monitor.TryAdmitInput());
    }

    /// <summary>Moves the clock in 50 ms steps so the monitor's timer fires as it would in real time.</summary>
    private void Advance(TimeSpan span, bool answer = false)
    {
        for (var left = span; left > TimeSpan.Zero; left -= TimeSpan.FromMilliseconds(50))
        {
            var probes = _probes;
            _time.Advance(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
            if (answer && _probes != probes)
            {
                _monitor.Heard();
            }
        }
    }
}
