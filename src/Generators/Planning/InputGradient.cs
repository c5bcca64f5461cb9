namespace Mtrl.Generators.Planning;

/// <summary>
/// Where a consumer writes the gradient of one of its inputs: nowhere (<see cref="Target"/> null:
/// network inputs and nodes that need none), straight into the input's gradient buffer when it is
/// the only contribution, or into scratch, which is then added into <see cref="AccumulateInto"/>
/// (<see cref="Named"/>: that addition's width as the input's width constant).
/// </summary>
internal sealed record InputGradient(string? Target, string? AccumulateInto, NamedWidth? Named = null)
{
    /// <summary>The input takes no gradient.</summary>
    public static InputGradient None { get; } = new(null, null);

    /// <summary>True when the consumer writes into scratch and adds it in afterwards.</summary>
    public bool Accumulates => AccumulateInto is not null;
}

/// <summary>
/// The gradient buffer a module block adds its parts into (one per module), or null when the
/// input takes no gradient. <see cref="ClearFirst"/>: the block is the buffer's only contributor,
/// so it clears the buffer itself (Backward clears buffers with several contributors on entry).
/// </summary>
internal sealed record SummedGradient(string? Target, bool ClearFirst, int Width);
