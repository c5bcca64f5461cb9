using System;
using Mtrl.Contracts;
using Mtrl.Kernels;

namespace Mtrl.Runtime.Layers;

/// <summary>An elementwise nonlinearity; no parameters.</summary>
public sealed class Activation
{
    /// <summary>Creates the activation of the given kind.</summary>
    public Activation(ActivationKind kind) => Kind = kind;

    /// <summary>Which nonlinearity.</summary>
    public ActivationKind Kind { get; }

    /// <summary>y = f(x) over <paramref name="length"/> values (x and y may be the same span).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int length)
    {
        var input = x.Slice(0, length);
        var output = y.Slice(0, length);
        switch (Kind)
        {
            case ActivationKind.None: input.CopyTo(output); break;
            case ActivationKind.Relu: Activations.Relu(input, output); break;
            case ActivationKind.Tanh: Activations.Tanh(input, output); break;
            case ActivationKind.Elu: Activations.Elu(input, output); break;
            case ActivationKind.Gelu: Activations.Gelu(input, output); break;
            case ActivationKind.LeakyRelu: Activations.LeakyRelu(input, output); break;
            default: throw new InvalidOperationException($"unknown activation {Kind}");
        }
    }

    /// <summary>dx = dy ⊙ f′; needs the input x (and the output y for tanh).</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int length)
    {
        if (dx.IsEmpty) return;
        var gradIn = dx.Slice(0, length);
        var gradOut = dy.Slice(0, length);
        switch (Kind)
        {
            case ActivationKind.None: gradOut.CopyTo(gradIn); break;
            case ActivationKind.Relu: Activations.ReluBackward(x.Slice(0, length), gradOut, gradIn); break;
            case ActivationKind.Tanh: Activations.TanhBackward(y.Slice(0, length), gradOut, gradIn); break;
            case ActivationKind.Elu: Activations.EluBackward(x.Slice(0, length), gradOut, gradIn); break;
            case ActivationKind.Gelu: Activations.GeluBackward(x.Slice(0, length), gradOut, gradIn); break;
            case ActivationKind.LeakyRelu: Activations.LeakyReluBackward(x.Slice(0, length), gradOut, gradIn); break;
            default: throw new InvalidOperationException($"unknown activation {Kind}");
        }
    }
}
