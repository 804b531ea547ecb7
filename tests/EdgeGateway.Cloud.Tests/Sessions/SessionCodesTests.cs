using EdgeGateway.Cloud.Sessions;

namespace EdgeGateway.Cloud.Tests.Sessions;

[Trait("Area", "Ssh")]
public sealed class SessionCodesTests
{
    [Fact]
    public void New_is_ten_digits_as_NNN_NNN_NNNN()
    {
        for (var i = 0; i < 1000; i++)
        {
            Assert.Matches("^[0-9]{3}-[0-9]{3}-[0-9]{4}$", SessionCodes.New());
        }
    }

    [Fact]
    public void New_hardly_repeats_in_two_thousand_codes()
    {
        // 10^10 codes: one repeat among 2,000 has a chance of about 2,000^2 / (2 * 10^10) = 0.02 %, two about
        // 2e-8. Allowing one keeps the test from flaking while a broken generator (few digits random) still fails.
        var codes = Enumerable.Range(0, 2000).Select(_ => SessionCodes.New()).ToList();

        Assert.InRange(codes.Count - codes.Distinct(StringComparer.Ordinal).Count(), 0, 1);
    }

    [Fact]
    public void New_uses_every_digit_in_every_position_about_equally()
    {
        const int Codes = 2000;
        var counts = new int[10, 10];
        for (var i = 0; i < Codes; i++)
        {
            var digits = SessionCodes.New().Replace("-", string.Empty, StringComparison.Ordinal);
            for (var position = 0; position < 10; position++)
            {
                counts[position, digits[position] - '0']++;
            }
        }

        // Expected 200 per digit and position, standard deviation about 13.4: 120..280 is six deviations.
        for (var position = 0; position < 10; position++)
        {
            for (var digit = 0; digit < 10; digit++)
            {
                Assert.InRange(counts[position, digit], 120, 280);
            }
        }
    }
}
