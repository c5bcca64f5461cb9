using System;
using System.CommandLine;
using System.IO;

namespace Mtrl.Cli;

/// <summary>
/// The <c>mtrl</c> command tree. Output streams are parameters so tests run commands in-process
/// and read exactly what a user would see.
/// </summary>
public static class CliApp
{
    /// <summary>Exit code of a failure no command anticipated (after one line on standard error).</summary>
    public const int InternalErrorCode = 70;

    /// <summary>Parses <paramref name="args"/>, runs the command, returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("mtrl: check, describe and train multi-task RL agents written as .mtrl specs.");
        root.Subcommands.Add(CheckCommand.Create(output, error));
        root.Subcommands.Add(DescribeCommand.Create(output, error));
        root.Subcommands.Add(TrainCommand.Create(output, error));
        root.Subcommands.Add(TransferCommand.Create(output, error));
        root.Subcommands.Add(EvalCommand.Create(output, error));
        root.Subcommands.Add(PlotCommand.Create(output, error));
        root.Subcommands.Add(BenchCommand.Create(output, error));
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line per problem, each naming its option, instead of the whole help text.
            foreach (var problem in parse.Errors) error.WriteLine($"mtrl: error: {OneLine(problem.Message)}");
            var command = parse.CommandResult.Command == root ? "mtrl" : $"mtrl {parse.CommandResult.Command.Name}";
            error.WriteLine($"mtrl: see '{command} --help'");
            return 2;
        }
        try
        {
            // System.CommandLine's own handler prints the stack trace; ours prints one line.
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("mtrl: cancelled");
            return 130;
        }
        catch (IOException exception)
        {
            // Not a bug: the disk, a pipe (`mtrl check … | head`) or a terminal went away.
            error.WriteLine($"mtrl: error: input/output failed: {OneLine(exception.Message)}");
            return 1;
        }
        catch (Exception exception)
        {
            error.WriteLine(Unexpected(exception));
            return InternalErrorCode;
        }
    }

    /// <summary>
    /// One line for an exception no command turned into a message: commands report every failure
    /// a user can cause themselves, so anything reaching here is a bug worth reporting, but the
    /// user still gets a sentence, not a stack trace.
    /// </summary>
    internal static string Unexpected(Exception exception)
    {
        var inner = exception is System.Reflection.TargetInvocationException { InnerException: { } cause } ? cause : exception;
        return inner is OutOfMemoryException
            ? $"mtrl: error: out of memory ({OneLine(inner.Message)})"
            : $"mtrl: internal error: {inner.GetType().Name}: {OneLine(inner.Message)} (please report this with the command and the spec)";
    }

    /// <summary>An exception message on one line (argument exceptions add "Actual value was …" on a second).</summary>
    internal static string OneLine(string message) =>
        string.Join(" ", message.Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
