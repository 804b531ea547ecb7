using System.Globalization;
using Microsoft.AspNetCore.Http.Extensions;

namespace EdgeGateway.Cloud.Policy;

/// <summary>Query-string values of the read APIs (audit, history): optional, checked, with a sentence naming the parameter when wrong.</summary>
internal static class QueryParameters
{
    /// <summary>The value, or null when absent or blank.</summary>
    public static string? Text(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.ToString() : null;

    /// <summary>Reads an optional ISO 8601 time (a time without an offset is UTC).</summary>
    public static bool TryTime(IQueryCollection query, string name, out DateTimeOffset? value, out string error)
    {
        value = null;
        error = string.Empty;
        if (Text(query, name) is not { } text)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        error = $"'{name}' is not a time: give ISO 8601, e.g. 2030-01-02T03:04:05Z.";
        return false;
    }

    /// <summary>Reads an optional whole number in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/>.</summary>
    public static bool TryLong(IQueryCollection query, string name, long min, long max, long? fallback, out long? value, out string error)
    {
        value = fallback;
        error = string.Empty;
        if (Text(query, name) is not { } text)
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max)
        {
            value = parsed;
            return true;
        }

        error = max == long.MaxValue
            ? $"'{name}' must be a whole number from {min}."
            : $"'{name}' must be a whole number from {min} to {max}.";
        return false;
    }

    /// <summary>
    /// Sets <c>Link: &lt;URL&gt;; rel="next"</c> (RFC 8288): this request's absolute URL with <paramref name="cursor"/> set to
    /// <paramref name="value"/> and every other parameter kept.
    /// </summary>
    public static void LinkNext(HttpContext context, string cursor, string value)
    {
        var request = context.Request;
        var next = new QueryBuilder(request.Query.Where(p => p.Key != cursor).SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v ?? string.Empty))))
        {
            { cursor, value },
        };
        context.Response.Headers.Link = $"<{UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path, next.ToQueryString())}>; rel=\"next\"";
    }
}
