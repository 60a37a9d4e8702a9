using System.CommandLine;
using System.CommandLine.Parsing;

namespace Baton.Cli;

/// <summary>
/// Turns what the parser found wrong into one line in plain words: an unknown command with the
/// nearest one suggested, an unknown option (also where an argument would swallow it), a value that
/// does not parse described by what was expected rather than by a CLR type name.
/// </summary>
internal static class UsageErrors
{
    /// <summary>The first problem with the command line, or null if it can run.</summary>
    public static string? Find(ParseResult parsed)
    {
        if (parsed.Action is { ClearsParseErrors: true })
        {
            // --help or --version: shown whatever else the line holds.
            return null;
        }

        var command = parsed.CommandResult.Command;
        if (!command.TreatUnmatchedTokensAsErrors)
        {
            // A pass-through (baton bench): the program it runs parses the rest.
            return null;
        }

        if (parsed.UnmatchedTokens.Count > 0)
        {
            return Unmatched(parsed.CommandResult, parsed.UnmatchedTokens[0]);
        }

        if (OptionTakenAsArgument(parsed) is { } option)
        {
            return $"unknown option '{option}' for '{PathOf(parsed.CommandResult)}' (after '--', a frame may start with '-')";
        }

        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            return $"no command given; choose one of {string.Join(", ", Names(command.Subcommands))} (see '{PathOf(parsed.CommandResult)} --help')";
        }

        if (parsed.Errors.Count == 0)
        {
            return null;
        }

        // An option's own value first ("-t" with nothing after it), then what the command checks.
        foreach (var error in parsed.Errors)
        {
            if (error.SymbolResult is OptionResult or ArgumentResult { Parent: OptionResult })
            {
                return Describe(error);
            }
        }

        return Describe(parsed.Errors[0]);
    }

    private static string Unmatched(CommandResult where, string token)
    {
        var command = where.Command;
        var path = PathOf(where);
        if (token.Length > 1 && token[0] == '-')
        {
            var names = new List<string>();
            foreach (var option in command.Options)
            {
                names.Add(option.Name);
            }

            return $"unknown option '{token}' for '{path}'{Suggestion(token, names)}";
        }

        return command.Subcommands.Count > 0
            ? $"unknown command '{token}'{(where.Parent is null ? "" : $" for '{path}'")}{Suggestion(token, Names(command.Subcommands))}"
            : $"unexpected argument '{token}' for '{path}'";
    }

    /// <summary>
    /// A token that looks like an option but went to an argument (send's frames take any word, so
    /// "--bogus" would become a frame): an unknown option, unless it came after "--".
    /// </summary>
    private static string? OptionTakenAsArgument(ParseResult parsed)
    {
        var doubleDash = parsed.Tokens.Count;
        for (var i = 0; i < parsed.Tokens.Count; i++)
        {
            if (parsed.Tokens[i].Type == TokenType.DoubleDash)
            {
                doubleDash = i;
                break;
            }
        }

        foreach (var child in parsed.CommandResult.Children)
        {
            if (child is not ArgumentResult argument)
            {
                continue;
            }

            foreach (var token in argument.Tokens)
            {
                if (token.Value.Length > 1 && token.Value[0] == '-' && IndexOf(parsed.Tokens, token) < doubleDash)
                {
                    return token.Value;
                }
            }
        }

        return null;
    }

    private static int IndexOf(IReadOnlyList<Token> tokens, Token token)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (ReferenceEquals(tokens[i], token))
            {
                return i;
            }
        }

        return tokens.Count;
    }

    /// <summary>The parser's message, unless it names a CLR type: then what was expected, in words.</summary>
    private static string Describe(ParseError error)
    {
        var message = string.Join(' ', error.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        if (error.SymbolResult is OptionResult { Tokens.Count: 0 } missing && message.StartsWith("Required argument missing", StringComparison.Ordinal))
        {
            // The parser's own words ("Required argument missing for option: '--subscribe'.") in ours.
            return $"{missing.Option.Name} needs a value";
        }

        if (!message.Contains("expected type", StringComparison.Ordinal))
        {
            return message;
        }

        var (name, type) = error.SymbolResult switch
        {
            OptionResult o => (o.Option.Name, o.Option.ValueType),
            ArgumentResult a => (a.Argument.Name, a.Argument.ValueType),
            _ => (null, null),
        };
        if (name is null || type is null)
        {
            return message;
        }

        var value = error.SymbolResult!.Tokens.Count > 0 ? error.SymbolResult.Tokens[^1].Value : "";
        return $"{name} takes {Expected(Nullable.GetUnderlyingType(type) ?? type)}, not '{value}'";
    }

    private static string Expected(Type type)
    {
        if (type.IsEnum)
        {
            return "one of " + string.Join(", ", Enum.GetNames(type)).ToLowerInvariant();
        }

        if (type.IsArray)
        {
            return Expected(type.GetElementType()!) + " (repeatable)";
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 => "a whole number",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            TypeCode.Boolean => "true or false",
            _ when type == typeof(TimeSpan) => "a duration such as 00:00:05",
            _ => "a different value",
        };
    }

    private static string PathOf(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? at = result; at is CommandResult { Parent: not null } command; at = at.Parent)
        {
            names.Add(command.Command.Name);
        }

        names.Add("baton");
        names.Reverse();
        return string.Join(' ', names);
    }

    private static List<string> Names(IList<Command> commands)
    {
        var names = new List<string>();
        foreach (var command in commands)
        {
            if (!command.Hidden)
            {
                names.Add(command.Name);
            }
        }

        return names;
    }

    /// <summary>"; did you mean 'x'?" for the nearest name within two edits, or nothing.</summary>
    private static string Suggestion(string typed, List<string> names)
    {
        string? best = null;
        var bestDistance = 3;
        foreach (var name in names)
        {
            var distance = Distance(typed, name);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }

        return best is null ? "" : $"; did you mean '{best}'?";
    }

    /// <summary>Edits (insert, delete, substitute, swap two neighbours) that turn one word into the other.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
