using System;
using Mtrl.Contracts;

namespace Mtrl.Generators.Planning;

/// <summary>The loop variables of the generated code a parameter slice's name can hold (<c>{t}</c>, <c>{layer}</c>, ...), as a set.</summary>
[Flags]
internal enum LoopIndex
{
    /// <summary>A literal name.</summary>
    None = 0,
    /// <summary><c>t</c>: the task of a per-task part.</summary>
    Task = 1,
    /// <summary><c>expert</c>: the expert of a mixture of experts.</summary>
    Expert = 2,
    /// <summary><c>layer</c>: the layer of a module grid.</summary>
    Layer = 4,
    /// <summary><c>module</c>: the module of a grid layer.</summary>
    Module = 8,
    /// <summary><c>column</c>: a progressive column.</summary>
    Column = 16,
}

/// <summary>
/// The name of a parameter slice (or of an affine layer's weight and bias pair), with the loop
/// variables it is indexed by: <c>q.grid.module{layer}_{module}</c> has <see cref="Indices"/>
/// Layer | Module. A name without indices is a literal; one with indices is read inside loops.
/// </summary>
internal sealed record SliceName(string Name, LoopIndex Indices)
{
    /// <summary>A literal name, read once.</summary>
    public static SliceName Literal(string name) => new(name, LoopIndex.None);

    /// <summary>A name built with the <see cref="Placeholder"/>s of <paramref name="indices"/>.</summary>
    public static SliceName Indexed(string name, LoopIndex indices) => new(name, indices);

    /// <summary>The weight of the affine layer this names.</summary>
    public SliceName Weight => this with { Name = ParameterNames.Weight(Name) };

    /// <summary>The bias of the affine layer this names.</summary>
    public SliceName Bias => this with { Name = ParameterNames.Bias(Name) };

    /// <summary>The C# interpolation placeholder of a loop variable in a slice name.</summary>
    public static string Placeholder(LoopIndex index) => index switch
    {
        LoopIndex.Task => "{t}",
        LoopIndex.Expert => "{expert}",
        LoopIndex.Layer => "{layer}",
        LoopIndex.Module => "{module}",
        _ => "{column}",
    };
}
