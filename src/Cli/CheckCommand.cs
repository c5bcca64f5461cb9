using System.CommandLine;
using System.IO;
using System.Linq;

namespace Mtrl.Cli;

/// <summary><c>mtrl check FILE...</c>: prints diagnostics in MSBuild format; exit 1 on any error.</summary>
internal static class CheckCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var files = new Argument<string[]>("files")
        {
            Description = "Spec files to check (.mtrl).",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("check", "Check .mtrl specs and print every diagnostic as path(line,col): error CODE: message.")
        {
            files,
        };
        command.SetAction(parse => Run(parse.GetValue(files) ?? System.Array.Empty<string>(), output, error));
        return command;
    }

    public static int Run(string[] files, TextWriter output, TextWriter error)
    {
        var failed = false;
        int errors = 0, warnings = 0;
        foreach (var file in files)
        {
            var result = SpecFiles.Load(file, error);
            if (result is null)
            {
                failed = true;
                errors++;
                continue;
            }
            foreach (var diagnostic in result.Diagnostics)
            {
                output.WriteLine(diagnostic.ToMsBuildString());
            }
            errors += result.Diagnostics.Count(d => d.IsError);
            warnings += result.Diagnostics.Count(d => d.Severity == Dsl.Diagnostics.DiagnosticSeverity.Warning);
            failed |= result.HasErrors;
        }
        output.WriteLine($"{files.Length} file{(files.Length == 1 ? "" : "s")} checked: {errors} error{(errors == 1 ? "" : "s")}, {warnings} warning{(warnings == 1 ? "" : "s")}");
        return failed ? 1 : 0;
    }
}
