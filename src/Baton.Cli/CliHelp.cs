using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Baton.Cli;

/// <summary>Help as a shell user expects it: no DOS-style aliases, and examples after each command's options.</summary>
internal static class CliHelp
{
    private static readonly Dictionary<Command, string[]> s_examples = [];

    /// <summary>Registers example command lines shown at the end of <paramref name="command"/>'s help.</summary>
    public static T WithExamples<T>(this T command, params string[] examples)
        where T : Command
    {
        s_examples[command] = examples;
        return command;
    }

    /// <summary>Adjusts the root's help option (which every subcommand inherits).</summary>
    public static void Configure(Command root)
    {
        foreach (var option in root.Options)
        {
            if (option is HelpOption help)
            {
                // "/h" and "/?" would turn a frame or a path into a help request.
                help.Aliases.Remove("/h");
                help.Aliases.Remove("/?");
                if (help.Action is HelpAction standard)
                {
                    help.Action = new HelpWithExamples(standard);
                }
            }
        }
    }

    private sealed class HelpWithExamples(HelpAction standard) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            // The usage line names the root after the executable (Baton.Cli.dll); the command is `baton`.
            var output = parseResult.InvocationConfiguration.Output;
            var help = new StringWriter();
            parseResult.InvocationConfiguration.Output = help;
            try
            {
                standard.Invoke(parseResult);
            }
            finally
            {
                parseResult.InvocationConfiguration.Output = output;
            }

            output.Write(help.ToString().Replace(parseResult.RootCommandResult.Command.Name + " ", "baton ", StringComparison.Ordinal));
            if (s_examples.TryGetValue(parseResult.CommandResult.Command, out var examples))
            {
                output.WriteLine("Examples:");
                foreach (var example in examples)
                {
                    output.WriteLine($"  {example}");
                }

                output.WriteLine();
            }

            return 0;
        }
    }
}
