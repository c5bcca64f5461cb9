using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// Test classes that point <c>MTRL_CACHE_DIR</c> or <c>MTRL_RUNS_DIR</c> at their own temporary
/// directories: environment variables are per process, so these classes run one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment variables";
}
