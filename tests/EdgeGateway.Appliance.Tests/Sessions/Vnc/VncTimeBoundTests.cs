using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using EdgeGateway.Protocol.Rfb;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Tests.Sessions.Vnc;

/// <summary>
/// Devices that misbehave in time or size, played by a hand-written RFB server on 127.0.0.1 (no real server can be told
/// to drip an update): every case ends the session with a sentence saying what the device did.
/// </summary>
[Trait("Area", "Vnc")]
public sealed class VncTimeBoundTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("eg-vnc-bound-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_framebuffer_update_dripped_a_byte_at_a_time_ends_the_session_after_the_update_timeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var device = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(stop.Token);
            var stream = client.GetStream();
            await HandshakeAsync(stream, name: "drip"u8.ToArray(), stop.Token);
            var drain = DrainAsync(stream, stop.Token);

            // One 4×4 Raw rectangle: 12 header bytes, then 64 pixel bytes, one every 100 ms (6.4 s in all).
            await stream.WriteAsync(new byte[] { 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 0 }, stop.Token);
            for (var i = 0; i < 64 && !stop.IsCancellationRequested; i++)
            {
                await stream.WriteAsync(new byte[] { 0x7F }, stop.Token);
                await Task.Delay(100, stop.Token);
            }
        });

        var (harness, started) = await VncSessionHarness.StartAsync(((IPEndPoint)listener.LocalEndpoint).Port, string.Empty,
            Path.Combine(_directory, "pins.json"), configure: o => o.UpdateTimeout = TimeSpan.FromSeconds(1));
        await using var session = harness;
        Assert.True(started);

        var outcome = await harness.Session.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(EndReason.Error, outcome.Reason);
        Assert.Equal("The device did not finish sending a screen update within 1 s; the session was ended.", outcome.Message);
        Assert.Contains(harness.Sink.Frames, f => f.Type == FrameType.End);
        await stop.CancelAsync();
        await Task.WhenAny(device);
    }

    [Fact]
    public async Task A_device_that_never_sends_its_version_is_left_after_the_handshake_timeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var silent = listener.AcceptTcpClientAsync();

        var (harness, started) = await VncSessionHarness.StartAsync(((IPEndPoint)listener.LocalEndpoint).Port, "pw",
            Path.Combine(_directory, "pins.json"), configure: o => o.HandshakeTimeout = TimeSpan.FromSeconds(1));
        await using var session = harness;

        Assert.False(started);
        var outcome = await harness.Session.Completion;
        Assert.Equal(EndReason.Unreachable, outcome.Reason);
        Assert.Equal("The device at 127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port + " did not complete the VNC handshake within 1 s.", outcome.Message);
    }

    [Fact]
    public async Task A_gigabyte_desktop_name_is_refused_before_it_is_read()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var device = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(stop.Token);
            await HandshakeAsync(client.GetStream(), name: null, stop.Token);
            await DrainAsync(client.GetStream(), stop.Token);
        });

        var (harness, started) = await VncSessionHarness.StartAsync(((IPEndPoint)listener.LocalEndpoint).Port, string.Empty, Path.Combine(_directory, "pins.json"));
        await using var session = harness;

        Assert.False(started);
        var outcome = await harness.Session.Completion;
        Assert.Equal(EndReason.Error, outcome.Reason);
        Assert.Equal("The device sent a desktop name of 1,073,741,824 bytes (at most 4,096 are accepted).", outcome.Message);
        await stop.CancelAsync();
        await Task.WhenAny(device);
    }

    /// <summary>RFB 3.8 with security None; a null name announces 1 GiB and sends none of it.</summary>
    private static async Task HandshakeAsync(NetworkStream stream, byte[]? name, CancellationToken cancellationToken)
    {
        await stream.WriteAsync("RFB 003.008\n"u8.ToArray(), cancellationToken);
        await stream.ReadExactlyAsync(new byte[12], cancellationToken);
        await stream.WriteAsync(new byte[] { 1, (byte)RfbSecurityType.None }, cancellationToken);
        await stream.ReadExactlyAsync(new byte[1], cancellationToken);
        await stream.WriteAsync(new byte[4], cancellationToken); // SecurityResult OK
        await stream.ReadExactlyAsync(new byte[1], cancellationToken); // ClientInit

        var init = new byte[24 + (name?.Length ?? 0)];
        BinaryPrimitives.WriteUInt16BigEndian(init, 4);
        BinaryPrimitives.WriteUInt16BigEndian(init.AsSpan(2), 4);
        RfbPixelFormat.Rgb888.Write(init.AsSpan(4));
        BinaryPrimitives.WriteUInt32BigEndian(init.AsSpan(20), name is null ? 1u << 30 : (uint)name.Length);
        name?.CopyTo(init, 24);
        await stream.WriteAsync(init, cancellationToken);
    }

    private static async Task DrainAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The session closed the connection.
        }
    }
}
