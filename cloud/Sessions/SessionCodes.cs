using System.Security.Cryptography;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>Session codes a person can read out: ten random digits, <c>NNN-NNN-NNNN</c>.</summary>
internal static class SessionCodes
{
    public static string New()
    {
        Span<char> digits = stackalloc char[10];
        for (var i = 0; i < digits.Length; i++)
        {
            digits[i] = (char)('0' + RandomNumberGenerator.GetInt32(10));
        }

        return $"{digits[..3]}-{digits[3..6]}-{digits[6..]}";
    }
}
