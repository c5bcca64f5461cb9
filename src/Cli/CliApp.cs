using System.CommandLine;
using System.IO;

namespace Mtrl.Cli;

/// <summary>
/// The <c>mtrl</c> command tree. Output streams are parameters so tests run commands in-process
/// and read exactly what a user would see.
/// </summary>
public static class CliApp
{
    /// <summary>Parses <paramref name="args"/>, runs the command, returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("mtrl: check, describe and train multi-task RL agents written as .mtrl specs.");
        root.Subcommands.Add(CheckCommand.Create(output, error));
        root.Subcommands.Add(DescribeCommand.Create(output, error));
        root.Subcommands.Add(TrainCommand.Create(output, error));
        root.Subcommands.Add(PlotCommand.Create(output, error));
        var parse = root.Parse(args);
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
