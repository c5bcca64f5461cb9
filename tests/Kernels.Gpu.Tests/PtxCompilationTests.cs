using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Random;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// Every device kernel compiles for ILGPU's PTX back end, without a CUDA device: ILGPU's CPU
/// accelerator runs kernels as .NET code and would not notice a construct the GPU compiler
/// rejects, so this is where such a construct is caught on a machine without a GPU.
/// </summary>
public sealed class PtxCompilationTests
{
    /// <summary>
    /// Every static method of the back end whose first parameter is a kernel index (implicitly
    /// grouped kernels) or that carries <see cref="ExplicitlyGroupedKernelAttribute"/> (explicitly
    /// grouped ones, which ILGPU requires to take no index): by definition its kernels.
    /// </summary>
    public static IReadOnlyList<MethodInfo> Kernels { get; } = typeof(DevicePhiloxFill).Assembly.GetTypes()
        .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        .Where(method => IsExplicitlyGrouped(method)
            || (method.GetParameters() is [{ ParameterType: var index }, ..] && (index == typeof(Index1D) || index == typeof(Index2D))))
        .OrderBy(method => method.DeclaringType!.FullName + "." + method.Name, StringComparer.Ordinal)
        .ToArray();

    public static TheoryData<string> KernelNames()
    {
        var data = new TheoryData<string>();
        foreach (MethodInfo kernel in Kernels)
        {
            data.Add(NameOf(kernel));
        }

        return data;
    }

    [Fact]
    public void ScanFindsTheKnownKernels()
    {
        string[] names = Kernels.Select(NameOf).ToArray();
        Assert.Contains("DevicePhiloxFill.UniformKernel", names);
        Assert.Contains("DevicePhiloxFill.IndexKernel", names);
        Assert.Contains("DevicePhiloxFill.BlocksKernel", names);
        Assert.Contains("DeviceAddKernels.Validate", names);
        Assert.Contains("DeviceAddKernels.Write", names);
        Assert.Contains("DeviceAddKernels.Advance", names);
        Assert.Contains("DeviceSamplingKernels.Prefixes", names);
        Assert.Contains("DeviceSamplingKernels.SelectUniform", names);
        Assert.Contains("DeviceSamplingKernels.SelectBalanced", names);
        Assert.Contains("DeviceGatherKernel.Gather", names);
        Assert.Contains("DevicePriorityKernels.RebuildLevel", names);
        Assert.Contains("DevicePriorityKernels.SelectProportional", names);
        Assert.Contains("DevicePriorityKernels.SelectTaskProportional", names);
        Assert.Contains("DevicePriorityKernels.Normalize", names);
        Assert.Contains("DevicePriorityKernels.CheckUpdate", names);
        Assert.Contains("DevicePriorityKernels.ClaimSlots", names);
        Assert.Contains("DevicePriorityKernels.ApplyUpdate", names);
        Assert.Contains("DevicePriorityKernels.ReleaseSlots", names);
        Assert.Contains("DeviceRelabelKernel.Relabel", names);
        Assert.Contains("DevicePcGradKernels.DrawOrders", names);
        Assert.Contains("DevicePcGradKernels.GramPartials", names);
        Assert.Contains("DevicePcGradKernels.GramReduce", names);
        Assert.Contains("DevicePcGradKernels.Weights", names);
        Assert.Contains("DevicePcGradKernels.Combine", names);
        Assert.Contains("DeviceCaGradKernels.Weights", names);
        Assert.Contains("DeviceCartPoleKernels.Reset", names);
        Assert.Contains("DeviceCartPoleKernels.Step", names);
        Assert.Contains("DeviceStepAssembler.Assemble", names);
        Assert.Contains("DevicePointMassKernels.Reset", names);
        Assert.Contains("DevicePointMassKernels.Step", names);
        Assert.Contains("DeviceBitFlipKernels.Reset", names);
        Assert.Contains("DeviceBitFlipKernels.Step", names);
        Assert.Contains("DeviceGridWorldKernels.Reset", names);
        Assert.Contains("DeviceGridWorldKernels.CheckActions", names);
        Assert.Contains("DeviceGridWorldKernels.Step", names);
        Assert.Contains("DeviceGemmKernels.Tiled", names);
        Assert.Contains("DeviceLayerKernels.ColumnSums", names);
        Assert.Contains("DeviceLayerKernels.ReluBackward", names);
        Assert.Contains("DeviceLayerKernels.Blend", names);
        Assert.Contains("DeviceLayerKernels.ConcatColumns", names);
        Assert.Contains("DeviceAdamKernels.NormPartials", names);
        Assert.Contains("DeviceAdamKernels.Prepare", names);
        Assert.Contains("DeviceAdamKernels.Update", names);
        Assert.Contains("DeviceTdKernels.Rows", names);
        Assert.Contains("DeviceTdKernels.Reduce", names);
        Assert.Contains("DevicePhiloxNormal.NormalKernel", names);
        Assert.Contains("DeviceTanhGaussianKernels.Sample", names);
        Assert.Contains("DeviceTanhGaussianKernels.Backward", names);
        Assert.Contains("DeviceSacInputPacker.PackKernel", names);
        Assert.Contains("DeviceSacKernels.Temperatures", names);
        Assert.Contains("DeviceSacKernels.SoftmaxTaskWeights", names);
        Assert.Contains("DeviceSacKernels.RowWeights", names);
        Assert.Contains("DeviceSacKernels.Targets", names);
        Assert.Contains("DeviceSacKernels.CriticRows", names);
        Assert.Contains("DeviceSacKernels.ActorRows", names);
        Assert.Contains("DeviceSacKernels.MeanLoss", names);
        Assert.Contains("DeviceSacKernels.TemperatureGradient", names);
        Assert.Contains("DeviceSacKernels.ActionGradients", names);
        Assert.Contains("DeviceStepAssembler.AssembleGoals", names);
        Assert.Contains("DeviceEpisodeLog.Record", names);
        Assert.Contains("DeviceEpsilonGreedyKernels.Choose", names);
        Assert.Contains("DeviceStepAssembler.AssembleNext", names);
        Assert.Contains("DeviceSacActingKernels.WarmupActions", names);
        Assert.Contains("DeviceSacActingKernels.ToEnvironment", names);
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void KernelCompilesToPtx(string name)
    {
        MethodInfo kernel = Kernels.Single(k => NameOf(k) == name);
        // As GpuDevice.Open: with ILGPU.Algorithms, which supplies exp, log and Math.Pow on PTX.
        using Context context = Context.Create(builder => builder.Optimize(OptimizationLevel.O1).CPU(CPUDeviceKind.Default).EnableAlgorithms());
        foreach ((CudaArchitecture architecture, CudaInstructionSet instructionSet) in Targets)
        {
            using var backend = new PTXBackend(context, architecture, instructionSet, nvvmAPI: null!);
            EntryPointDescription entry = IsExplicitlyGrouped(kernel)
                ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel)
                : EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
            var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
            Assert.Contains($".target {architecture.ToString().ToLowerInvariant()}", compiled.PTXAssembly, StringComparison.Ordinal);
            Assert.Contains(".visible .entry ", compiled.PTXAssembly, StringComparison.Ordinal);
        }
    }

    // Pascal (the oldest architecture current CUDA toolkits target) and Turing. ILGPU lowers the
    // target to what the PTX ISA version supports (ISA 7.1 with SM_86 gives sm_80), so each
    // architecture is paired with an ISA that has it.
    private static readonly (CudaArchitecture, CudaInstructionSet)[] Targets =
    [
        (CudaArchitecture.SM_60, CudaInstructionSet.ISA_60),
        (CudaArchitecture.SM_75, CudaInstructionSet.ISA_75),
    ];

    private static bool IsExplicitlyGrouped(MethodInfo method) => method.IsDefined(typeof(ExplicitlyGroupedKernelAttribute), inherit: false);

    private static string NameOf(MethodInfo kernel) => $"{kernel.DeclaringType!.Name}.{kernel.Name}";
}
