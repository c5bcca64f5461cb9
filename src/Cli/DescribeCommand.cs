using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using Mtrl.Cli.InProcess;

namespace Mtrl.Cli;

/// <summary>
/// <c>mtrl describe FILE</c>: each network's layers with widths and parameter counts (shared vs
/// task-specific), then the training configuration with every default filled in. With
/// <c>--emit</c>, the C# the source generator makes of the spec instead.
/// </summary>
internal static class DescribeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "The spec to describe (.mtrl)." };
        var emit = new Option<bool>("--emit") { Description = "Print the C# the source generator emits for the spec instead of the description." };
        var directory = new Option<string?>("--output", "-o") { Description = "With --emit: write the generated files into this directory instead of printing them." };
        var rootNamespace = new Option<string>("--namespace") { Description = "With --emit: the namespace of the generated agents (a project's RootNamespace).", DefaultValueFactory = _ => AgentCompiler.DefaultNamespace };
        var slices = new Option<bool>("--slices") { Description = "Also list every parameter slice: name, shape, owner and whether it is frozen (the names freeze and --init-from work with)." };
        var command = new Command("describe", "Show networks, widths, parameter counts and the full training configuration of a spec, or the C# generated from it.")
        {
            file, emit, directory, rootNamespace, slices,
        };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(emit), parse.GetValue(directory), parse.GetValue(rootNamespace)!, output, error, parse.GetValue(slices)));
        return command;
    }

    public static int Run(string file, bool emit, string? directory, string rootNamespace, TextWriter output, TextWriter error, bool slices = false)
    {
        if (slices && emit)
        {
            error.WriteLine("mtrl: error: --slices applies to the description, not with --emit");
            return 2;
        }
        if (directory is not null && !emit)
        {
            error.WriteLine("mtrl: error: --output only applies with --emit");
            return 2;
        }
        if (directory is not null && OutputPaths.CheckDirectory("--output", directory) is { } outputProblem)
        {
            error.WriteLine($"mtrl: error: {outputProblem}");
            return 2;
        }
        if (!Identifiers.IsNamespace(rootNamespace))
        {
            error.WriteLine($"mtrl: error: --namespace must be a dotted C# identifier such as 'MyProject.Agents', found '{rootNamespace}'");
            return 2;
        }
        var (result, text) = SpecFiles.LoadWithText(file, error);
        if (result is null) return 1;
        // With --emit, standard output carries only C#, so every diagnostic goes to standard error.
        foreach (var diagnostic in result.Diagnostics)
        {
            (diagnostic.IsError || emit ? error : output).WriteLine(diagnostic.ToMsBuildString());
        }
        if (result.HasErrors)
        {
            error.WriteLine($"mtrl: {file} has errors; fix them to see its {(emit ? "generated code" : "description")}");
            return 1;
        }
        if (emit) return Emit(file, text, directory, rootNamespace, result.Diagnostics.Select(d => d.ToMsBuildString()).ToHashSet(), output, error);
        foreach (var agent in result.Model.Agents)
        {
            ModelDescriber.Describe(agent, output);
            if (slices) ModelDescriber.DescribeSlices(agent, output);
        }
        return 0;
    }

    private static int Emit(string file, string text, string? directory, string rootNamespace, HashSet<string> printed, TextWriter output, TextWriter error)
    {
        var source = AgentCompiler.Generate(file, text, rootNamespace);
        foreach (var diagnostic in source.Diagnostics)
        {
            // The generator repeats the front end's diagnostics; print only its own (MTRL9000 if it failed).
            var line = diagnostic.ToString();
            if (!printed.Contains(line)) error.WriteLine(line);
        }
        if (source.HasErrors) return 1;
        if (directory is null)
        {
            foreach (var generated in source.Files) output.Write(generated.Text);
            return 0;
        }
        try
        {
            Directory.CreateDirectory(directory);
            foreach (var generated in source.Files)
            {
                var path = Path.Combine(directory, generated.HintName);
                File.WriteAllText(path, generated.Text);
                output.WriteLine($"wrote {path}");
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"mtrl: error: cannot write into '{directory}': {exception.Message}");
            return 1;
        }
        return 0;
    }
}
