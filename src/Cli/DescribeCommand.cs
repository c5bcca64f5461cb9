using System.CommandLine;
using System.IO;

namespace Mtrl.Cli;

/// <summary>
/// <c>mtrl describe FILE</c>: each network's layers with widths and parameter counts (shared vs
/// task-specific), then the training configuration with every default filled in.
/// </summary>
internal static class DescribeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "The spec to describe (.mtrl)." };
        var command = new Command("describe", "Show networks, widths, parameter counts and the full training configuration of a spec.")
        {
            file,
        };
        command.SetAction(parse => Run(parse.GetValue(file)!, output, error));
        return command;
    }

    public static int Run(string file, TextWriter output, TextWriter error)
    {
        var result = SpecFiles.Load(file, error);
        if (result is null) return 1;
        foreach (var diagnostic in result.Diagnostics)
        {
            (diagnostic.IsError ? error : output).WriteLine(diagnostic.ToMsBuildString());
        }
        if (result.HasErrors)
        {
            error.WriteLine($"mtrl: {file} has errors; fix them to see its description");
            return 1;
        }
        foreach (var agent in result.Model.Agents)
        {
            ModelDescriber.Describe(agent, output);
        }
        return 0;
    }
}
