using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// End to end, as a user would: pack the generator and runtime into a local feed, create a fresh
/// project outside the repository with one .mtrl file, build and run it; then break the spec and
/// check the build fails with the diagnostic at the right line and column.
/// </summary>
public sealed class PackageConsumerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mtrl-e2e-" + Guid.NewGuid().ToString("N"));

    public PackageConsumerTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file for a moment; the temp folder is not ours to police.
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Dsl.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Dsl.sln not found above the test directory");
    }

    private (int Code, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_root, "packages");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // Run with its own MSBuild state, not the test host's.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void AFreshProjectBuildsAndRunsAGeneratedAgentAndABrokenSpecFailsTheBuild()
    {
        var repository = RepositoryRoot();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var version = "0.1.0-e2e" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");
        var feed = Path.Combine(_root, "feed");
        foreach (var project in new[] { "src/Contracts/Mtrl.Contracts.csproj", "src/Kernels/Mtrl.Kernels.csproj", "src/Runtime/Mtrl.Runtime.csproj", "src/Generators/Mtrl.Generators.csproj" })
        {
            var (code, output) = Dotnet(repository, "pack", project, "-c", configuration, "-o", feed, $"-p:Version={version}");
            Assert.True(code == 0, $"pack {project} failed:\n{output}");
        }

        var consumer = Path.Combine(_root, "consumer");
        Directory.CreateDirectory(Path.Combine(consumer, "Specs"));
        File.WriteAllText(Path.Combine(consumer, "nuget.config"),
            $"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration><packageSources><add key=\"local\" value=\"{feed}\" /></packageSources></configuration>\n");
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <RootNamespace>Consumer</RootNamespace>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Mtrl.Generators" Version="{version}" PrivateAssets="all" />
                <PackageReference Include="Mtrl.Runtime" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        var spec = "agent Probe {\n  tasks: 2\n  input obs: 6\n  action: discrete(3)\n  network q {\n    out q = q_values(mlp(concat(obs, onehot(task)), widths: [16]), per_task: true)\n  }\n  train dqn { }\n}\n";
        File.WriteAllText(Path.Combine(consumer, "Specs", "probe.mtrl"), spec);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
            var layout = Consumer.Probe.CreateLayout();
            var store = new Mtrl.Runtime.Parameters.ParameterStore(layout);
            store.Initialize(1);
            System.Console.WriteLine($"slices={layout.Slices.Count} parameters={layout.ParameterCount} tasks={Consumer.Probe.Tasks}");
            System.Console.WriteLine($"bf16: {Mtrl.Kernels.Gemm.Bfloat16Unavailable ?? "available"}");
            """);

        var (buildCode, buildOutput) = Dotnet(consumer, "build", "-c", "Release");
        Assert.True(buildCode == 0, "consumer build failed:\n" + buildOutput);
        var (runCode, runOutput) = Dotnet(consumer, "run", "-c", "Release", "--no-build");
        Assert.Equal(0, runCode);
        // mlp 8→16 and two per-task readouts 16→3, each a weight and a bias.
        Assert.Contains($"slices=6 parameters={8 * 16 + 16 + 2 * (16 * 3 + 3)} tasks=2", runOutput);
        // The BF16 kernel travels in the Kernels package (runtimes/linux-x64/native) and is found
        // there; on a CPU without AVX512_BF16 the reason given is the CPU, never a missing kernel.
        if (OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Contains("bf16: ", runOutput);
            Assert.DoesNotContain("has no BF16 kernel", runOutput);
        }

        var broken = spec.Replace("concat(obs,", "concat(obz,", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(consumer, "Specs", "probe.mtrl"), broken);
        var column = broken.Split('\n')[5].IndexOf("obz", StringComparison.Ordinal) + 1;
        var (brokenCode, brokenOutput) = Dotnet(consumer, "build", "-c", "Release");
        Assert.NotEqual(0, brokenCode);
        var line = brokenOutput.Split('\n').FirstOrDefault(l => l.Contains("error MTRL0101", StringComparison.Ordinal));
        Assert.True(line is not null, brokenOutput);
        Assert.Contains($"probe.mtrl(6,{column}): error MTRL0101: unknown name 'obz'", line);
    }
}
