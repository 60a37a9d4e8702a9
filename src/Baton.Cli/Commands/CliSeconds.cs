using System.CommandLine.Parsing;
using System.Globalization;

namespace Baton.Cli.Commands;

/// <summary>Durations on the command line: a number of seconds such as 2.5, as <c>baton mdp-request --timeout</c> takes them.</summary>
internal static class CliSeconds
{
    /// <summary>A parser for <paramref name="option"/> that accepts seconds above zero and reports anything else in words.</summary>
    public static Func<ArgumentResult, double> Parser(string option) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= int.MaxValue / 1000.0)
        {
            return seconds;
        }

        result.AddError($"{option} takes a number of seconds above 0, not '{text}'");
        return 0;
    };
}
