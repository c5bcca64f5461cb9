using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// <see cref="DeviceMlpQNetwork.BackwardToInput"/> — ∂L/∂input through every layer and ReLU, no
/// weight gradient — against the CPU <see cref="Sequential"/>'s input gradient (within the GEMM's
/// rounding: 10⁻⁵ of the largest), the input gradient poisoned first and the gradient array left as it was.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceMlpInputGradientTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(19, 3)]
    public void InputGradientMatchesTheCpuNetworks(int batch, int outputs)
    {
        const int inputs = 6;
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", inputs).Mlp(new[] { 5, 3 }).Linear(outputs);
        ParameterLayout layout = builder.Build();
        var store = new ParameterStore(layout);
        store.Initialize(9);
        Sequential cpu = chain.Bind(store, batch);
        var random = new System.Random(batch);
        float[] input = Enumerable.Range(0, batch * inputs).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] outputGradient = Enumerable.Range(0, batch * outputs).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        cpu.Forward(input, batch);
        var expected = new float[batch * inputs];
        cpu.Backward(outputGradient, expected);

        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        using var gemm = new DeviceGemm(fixture.Device);
        var ops = new DeviceLayerOps(fixture.Device);
        using MemoryBuffer1D<float, Stride1D.Dense> values = accelerator.Allocate1D(store.Values);
        float[] marked = Enumerable.Repeat(0.25f, store.Values.Length).ToArray();
        using MemoryBuffer1D<float, Stride1D.Dense> gradients = accelerator.Allocate1D(marked);
        var layers = Enumerable.Range(0, layout.Slices.Count / 2)
            .Select(l => new DeviceDenseLayer(layout.Slices[2 * l].Rows, layout.Slices[2 * l].Columns, layout.Slices[2 * l].Offset, layout.Slices[(2 * l) + 1].Offset)).ToArray();
        using var network = new DeviceMlpQNetwork(gemm, ops, layers, values.View, gradients.View, batch);
        using MemoryBuffer1D<float, Stride1D.Dense> dInput = accelerator.Allocate1D(input);
        using MemoryBuffer1D<float, Stride1D.Dense> dOutputGradient = accelerator.Allocate1D(outputGradient);
        using MemoryBuffer1D<float, Stride1D.Dense> dInputGradient = accelerator.Allocate1D(Enumerable.Repeat(float.NaN, batch * inputs).ToArray());
        network.Forward(dInput.View, batch);
        network.BackwardToInput(dOutputGradient.View, dInputGradient.View);

        float[] actual = dInputGradient.GetAsArray1D();
        double scale = expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= (1e-5 * scale) + 1e-12, $"∂L/∂input[{i}] device {actual[i]}, CPU {expected[i]}");
        }

        Assert.Equal(marked, gradients.GetAsArray1D());
        Assert.Throws<ArgumentException>(() => network.BackwardToInput(dOutputGradient.View, dInputGradient.View.SubView(0, (batch * inputs) - 1)));
    }
}
