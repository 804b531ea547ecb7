using System.Buffers.Binary;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Testing;

/// <summary>
/// What a browser viewing a display session shows, rebuilt from the frames one <see cref="StreamClient"/> received,
/// with the protocol's reference viewer (<see cref="DisplayCanvas"/>): the same frames, in the same order, as the page
/// gets. Frames are applied as they arrive; <see cref="Refresh"/> applies what came since the last call.
/// </summary>
public sealed class DisplayScreen(StreamClient stream) : IDisposable
{
    private readonly DisplayCanvas _canvas = new();
    private int _applied;

    /// <summary>The first status other than Ok, with the frame's type, or null while every frame applied.</summary>
    public string? Error { get; private set; }

    /// <summary>Display frames applied so far.</summary>
    public int Applied => _applied;

    /// <summary>The viewer's picture (after <see cref="Refresh"/>).</summary>
    public DisplayCanvas Canvas => _canvas;

    /// <summary>Applies the frames that arrived since the last call.</summary>
    public DisplayCanvas Refresh()
    {
        var frames = stream.Frames;
        for (; _applied < frames.Count; _applied++)
        {
            var frame = frames[_applied];
            if (frame.Header.Type is FrameType.End)
            {
                continue;
            }

            var status = _canvas.Apply(frame.Header.Type, frame.Header.Flags, frame.Payload);
            if (status != DisplayReadStatus.Ok && Error is null)
            {
                Error = $"frame {_applied} ({frame.Header.Type}): {status}";
            }
        }

        return _canvas;
    }

    /// <summary>Waits until the rebuilt picture equals the X server's screen pixel for pixel (ground truth from xwd).</summary>
    /// <exception cref="Xunit.Sdk.XunitException">Not equal within <paramref name="timeout"/>: says how they differ.</exception>
    public async Task WaitForAsync(XDisplayHost server, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(server);
        string? difference = "nothing compared yet";
        try
        {
            await Conditions.WaitUntilAsync(Same, timeout, what);
        }
        catch (Xunit.Sdk.XunitException e) when (difference is not null)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message} The last difference: {difference}.");
        }

        bool Same()
        {
            Refresh();
            if (Error is not null)
            {
                throw new Xunit.Sdk.XunitException($"The display stream could not be applied: {Error}");
            }

            var truth = server.CaptureAsync().GetAwaiter().GetResult();
            difference = _canvas.Width == 0 ? "no DisplayInit yet" : truth.Compare(_canvas.Width, _canvas.Height, _canvas.Pixels);
            return difference is null;
        }
    }

    /// <summary>A KeyInput payload (contract: u8 down, u32 keysym).</summary>
    public static byte[] Key(bool down, uint keysym)
    {
        var payload = new byte[5];
        payload[0] = down ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), keysym);
        return payload;
    }

    /// <summary>A PointerInput payload (contract: u8 buttons, u16 x, u16 y).</summary>
    public static byte[] Pointer(byte buttons, int x, int y)
    {
        var payload = new byte[5];
        payload[0] = buttons;
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(1), (ushort)x);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(3), (ushort)y);
        return payload;
    }

    /// <summary>Types ASCII text as key presses and releases (printable ASCII is its own keysym), then Return if asked.</summary>
    public static async Task TypeAsync(StreamClient stream, string text, bool enter)
    {
        ArgumentNullException.ThrowIfNull(stream);
        foreach (var keysym in text.Select(c => (uint)c).Concat(enter ? [0xFF0Du] : []))
        {
            await stream.SendFrameAsync(FrameType.KeyInput, Key(true, keysym));
            await stream.SendFrameAsync(FrameType.KeyInput, Key(false, keysym));
        }
    }

    public void Dispose() => _canvas.Dispose();
}
