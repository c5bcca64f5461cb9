using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Environments;
using Mtrl.Runtime.Environments;

namespace Mtrl.GpuBenchmarks;

/// <summary>
/// One step of N CartPoles, of N PointMasses of the ten-task suite and of N four-room GridWorlds
/// (four tasks, coordinate observations: one-hot rows would be 169 floats per env, 1.3 GB at
/// N = 1,048,576 for observations and final observations), with fixed random actions (autoresets
/// included): device against the CPU vector environment.
/// </summary>
internal static class EnvironmentBenchmarks
{
    public static IEnumerable<BenchmarkRow> Run(GpuDevice device, BenchmarkSizes sizes)
    {
        foreach (int n in sizes.CartPoleEnvironments)
        {
            var random = new Random(5);
            var actions = new int[n];
            for (int i = 0; i < n; i++)
            {
                actions[i] = random.Next(2);
            }

            var cpu = new CartPoleVectorEnvironment(n);
            cpu.Reset(1);
            using var gpu = new DeviceCartPole(device, n, CartPolePhysicsRanges.CartPoleV1);
            gpu.Reset(1);
            using MemoryBuffer1D<int, Stride1D.Dense> deviceActions = device.Accelerator.Allocate1D(actions);
            yield return new BenchmarkRow(
                "CartPole step", $"N = {n:N0}",
                BenchmarkTimer.MedianMicroseconds(() => { gpu.Step(deviceActions.View); device.Accelerator.Synchronize(); }, 3, sizes.Repetitions),
                BenchmarkTimer.MedianMicroseconds(() => cpu.Step(actions), 3, sizes.Repetitions));
        }

        foreach (int n in sizes.CartPoleEnvironments)
        {
            var random = new Random(6);
            var forces = new float[2 * n];
            for (int i = 0; i < forces.Length; i++)
            {
                forces[i] = (float)((random.NextDouble() * 2) - 1);
            }

            var options = new PointMassOptions();
            var cpu = new PointMassVectorEnvironment(n, options);
            cpu.Reset(1);
            var taskIds = new int[n];
            for (int i = 0; i < n; i++)
            {
                taskIds[i] = i % options.Tasks.Count;
            }

            PointMassTask[] tasks = [.. options.Tasks];
            var parameters = new PointMassStepParameters(
                options.TimeStep, options.MaxForce, options.ArenaHalfSize, options.SuccessRadius, options.SparseReward,
                options.TerminateOnSuccess, options.MaxEpisodeSteps, options.GoalInObservation);
            using var gpu = new DevicePointMass(device, tasks, taskIds, parameters);
            gpu.Reset(1);
            using MemoryBuffer1D<float, Stride1D.Dense> deviceForces = device.Accelerator.Allocate1D(forces);
            yield return new BenchmarkRow(
                "PointMass step", $"N = {n:N0}",
                BenchmarkTimer.MedianMicroseconds(() => { gpu.Step(deviceForces.View); device.Accelerator.Synchronize(); }, 3, sizes.Repetitions),
                BenchmarkTimer.MedianMicroseconds(() => cpu.Step(forces), 3, sizes.Repetitions));
        }

        foreach (int n in sizes.CartPoleEnvironments)
        {
            var random = new Random(7);
            var actions = new int[n];
            var taskIds = new int[n];
            for (int i = 0; i < n; i++)
            {
                actions[i] = random.Next(GridWorldRules.ActionCount);
                taskIds[i] = i % 4;
            }

            var options = new GridWorldOptions { Observation = GridObservationKind.Coordinates, StepCost = 0.01f };
            var cpu = new GridWorldVectorEnvironment(n, options, taskIds);
            cpu.Reset(1);
            using var gpu = new DeviceGridWorld(device, options.Layout.Maze(), taskIds, options.StepParameters());
            gpu.Reset(1);
            using MemoryBuffer1D<int, Stride1D.Dense> deviceActions = device.Accelerator.Allocate1D(actions);
            yield return new BenchmarkRow(
                "GridWorld step (four rooms)", $"N = {n:N0}",
                BenchmarkTimer.MedianMicroseconds(() => { gpu.Step(deviceActions.View); device.Accelerator.Synchronize(); }, 3, sizes.Repetitions),
                BenchmarkTimer.MedianMicroseconds(() => cpu.Step(actions), 3, sizes.Repetitions));
            gpu.ThrowIfFaulted();
        }
    }
}
