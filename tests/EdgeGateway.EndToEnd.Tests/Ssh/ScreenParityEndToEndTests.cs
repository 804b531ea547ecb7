using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>
/// Through the real stack against real sshd: after more than a mebibyte of output (screen updates under the uplink
/// budget, output split wherever SSH packets end), a late joiner's keyframe shows in xterm.js exactly what the
/// Controller's terminal shows — attributes, widths and truecolour included.
/// </summary>
[Trait("Area", "SshField")]
[Collection(SshCollection.Name)]
public sealed class ScreenParityEndToEndTests(SshStackFixture fixture, XtermHeadless xterm) : IClassFixture<XtermHeadless>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private EdgeGatewayStack Stack => fixture.Stack;

    [Fact]
    public async Task A_late_joiner_after_a_mebibyte_of_output_sees_the_controllers_screen()
    {
        var (client, cookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        using var _ = client;
        var view = await EdgeGatewayStack.StartSessionAsync(client, fixture.Device, columns: 80, rows: 24);
        await using var controller = await Stack.OpenStreamAsync(cookies, view.Id);
        try
        {
            // seq prints 1.3 MB; then an emoji in the last column, faint and concealed text, colon-form truecolour.
            await controller.SendInputAsync(
                @"seq 1 200000; printf 'x\033[999G\360\237\230\200|\n\033[2mdim\033[0m \033[8mhidden\033[0m \033[38:2::255:128:0mB\033[0m\n'; echo parity-$((6*7))" + "\r");
            await controller.WaitForOutputAsync("parity-42", Wait);

            var (_, viewerCookies) = await Stack.LoginNewViewerAsync();
            await using var joiner = await Stack.OpenStreamAsync(viewerCookies, view.Id);
            await joiner.WaitUntilAsync(c => c.Frames.Count > 0, Wait, "the late joiner's keyframe");

            // The Controller's stream may still be catching up (screen updates): compare again after each frame it gets.
            XtermScreen shown, joined;
            string? difference;
            while (true)
            {
                var received = controller.Frames.Count;
                shown = await xterm.RenderAsync([.. controller.Frames]);
                joined = await xterm.RenderAsync([.. joiner.Frames]);
                difference = shown.Difference(joined);
                if (difference is null)
                {
                    break;
                }

                await controller.WaitUntilAsync(c => c.Frames.Count > received, Wait, $"the Controller's screen to match the late joiner's ({difference})");
            }

            Assert.True(difference is null, $"The late joiner differs from the Controller: {difference}");

            // And what they show is what xterm.js shows for those bytes.
            var emojiRow = Array.FindIndex(joined.Rows, r => r[0].StartsWith("\U0001F600|2|", StringComparison.Ordinal));
            Assert.True(emojiRow > 0, "The emoji did not wrap to a row of its own, two columns wide:\n" + joined.Text);
            Assert.StartsWith("x|1|", joined.Rows[emojiRow - 1][0], StringComparison.Ordinal);
            Assert.StartsWith("||1|", joined.Rows[emojiRow][2], StringComparison.Ordinal);
            var styled = joined.Rows[emojiRow + 1];
            Assert.Contains(",dim", styled[0], StringComparison.Ordinal);
            Assert.Contains(",invisible", styled[4], StringComparison.Ordinal);
            Assert.StartsWith("h|", styled[4], StringComparison.Ordinal);
            Assert.Contains("fg=#ff8000", styled[11], StringComparison.Ordinal);
        }
        finally
        {
            await client.DeleteAsync($"/api/sessions/{view.Id}");
        }
    }
}
