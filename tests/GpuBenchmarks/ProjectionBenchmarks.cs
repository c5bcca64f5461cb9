using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Projection;

namespace Mtrl.GpuBenchmarks;

/// <summary>PCGrad (drawn orders, mean) and CAGrad (c = 0.5, mean) of T task gradients of P parameters already in memory: device against the CPU kernels.</summary>
internal static class ProjectionBenchmarks
{
    public static IEnumerable<BenchmarkRow> Run(GpuDevice device, BenchmarkSizes sizes)
    {
        int t = sizes.PcGradTasks;
        int p = sizes.PcGradParameters;
        var random = new Random(3);
        var gradients = new float[t * p];
        for (int i = 0; i < gradients.Length; i++)
        {
            gradients[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var output = new float[p];
        var workspace = new ProjectionWorkspace(t, p);
        using var pcGrad = new DevicePcGrad(device, t, p);
        using MemoryBuffer1D<float, Stride1D.Dense> deviceGradients = device.Accelerator.Allocate1D(gradients);
        using MemoryBuffer1D<float, Stride1D.Dense> deviceOutput = device.Accelerator.Allocate1D<float>(p);
        yield return new BenchmarkRow(
            "PCGrad", $"T = {t}, P = {p:N0}",
            BenchmarkTimer.MedianMicroseconds(
                () => { pcGrad.Project(deviceGradients.View, 1, 2, 3, GradientReduction.Mean, deviceOutput.View); device.Accelerator.Synchronize(); }, 3, sizes.Repetitions),
            BenchmarkTimer.MedianMicroseconds(
                () => PcGrad.Project(gradients, t, p, 1, 2, 3, GradientReduction.Mean, output, workspace), 3, sizes.Repetitions));
        using var caGrad = new DeviceCaGrad(device, t, p);
        yield return new BenchmarkRow(
            "CAGrad", $"T = {t}, P = {p:N0}",
            BenchmarkTimer.MedianMicroseconds(
                () => { caGrad.Combine(deviceGradients.View, 0.5, GradientReduction.Mean, deviceOutput.View); device.Accelerator.Synchronize(); }, 3, sizes.Repetitions),
            BenchmarkTimer.MedianMicroseconds(
                () => CaGrad.Combine(gradients, t, p, 0.5, GradientReduction.Mean, output, CaGradRescale.OnePlusCSquared, workspace), 3, sizes.Repetitions));
    }
}
