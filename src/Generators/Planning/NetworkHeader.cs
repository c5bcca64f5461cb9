namespace Mtrl.Generators.Planning;

/// <summary>What the doc comment of a generated network class says about it.</summary>
internal abstract record NetworkHeader(int OutputWidth);

/// <summary>A network of the spec: its role, name, declaring line and output head.</summary>
internal sealed record NetworkSummary(string Role, string Network, int Line, string OutputKind, bool GaussianOutput, int OutputWidth)
    : NetworkHeader(OutputWidth);

/// <summary>
/// A network's features output as a class of its own: the features node, what it reads, whether
/// it is an affine predictor (per task), and the network class whose store it shares.
/// </summary>
internal sealed record FeaturesSummary(string Output, string Network, string Source, bool Affine, bool PerTask, int Line, string NetworkClass, int OutputWidth)
    : NetworkHeader(OutputWidth);
