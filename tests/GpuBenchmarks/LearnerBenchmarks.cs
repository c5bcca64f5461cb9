using System;
using System.Collections.Generic;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Losses;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Replay;

namespace Mtrl.GpuBenchmarks;

/// <summary>
/// One DQN update with HER, as a BitFlip-40 agent makes it: a HER sample (future, k = 4) from
/// the replay case's full, wrapped ring, then Q_online(s′), Q_target(s′), Q_online(s) on
/// observation ⊕ goal (80 inputs, two hidden ReLU layers, 40 actions), the Huber TD loss,
/// backward and Adam with the clip at 10. Device: <see cref="DeviceDqnLearner"/> on the device
/// replay; CPU: the CPU trainer's sequence on the CPU buffer.
/// </summary>
internal static class LearnerBenchmarks
{
    public static IEnumerable<BenchmarkRow> Run(GpuDevice device, BenchmarkSizes sizes)
    {
        const int width = ReplayBenchmarks.Width;
        int capacity = sizes.DqnReplayCapacity;
        int batchSize = sizes.DqnBatch;
        var cpu = new ReplayBuffer(new ReplayBufferOptions { Capacity = capacity, EnvCount = ReplayBenchmarks.Envs, ObservationWidth = width, GoalWidth = width, Seed = 1 });
        using var gpu = new DeviceReplay(device, new DeviceReplayOptions { Capacity = capacity, EnvCount = ReplayBenchmarks.Envs, ObservationWidth = width, GoalWidth = width, Seed = 1 });
        ReplayBenchmarks.Fill(device, cpu, gpu);
        var reward = new ThresholdGoalReward(0f, terminateOnSuccess: true);

        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", 2 * width).Mlp(new[] { sizes.DqnHidden, sizes.DqnHidden }).Linear(width);
        ParameterLayout layout = builder.Build();
        var store = new ParameterStore(layout);
        store.Initialize(1);
        var targetStore = new ParameterStore(layout);
        targetStore.CopyValuesFrom(store);
        Sequential online = chain.Bind(store, batchSize);
        Sequential target = chain.Bind(targetStore, batchSize);
        var adam = new Adam(store, new AdamOptions(LearningRate: 1e-3f, MaxGradientNorm: 10f));

        var layers = new List<DeviceDenseLayer>();
        for (int s = 0; s < layout.Slices.Count; s += 2)
        {
            layers.Add(new DeviceDenseLayer(layout.Slices[s].Rows, layout.Slices[s].Columns, layout.Slices[s].Offset, layout.Slices[s + 1].Offset));
        }

        var options = new DeviceDqnOptions { Gamma = 0.98f, Adam = new DeviceAdamOptions(LearningRate: 1e-3f, MaxGradientNorm: 10f) };
        using var learner = new DeviceDqnLearner(device, layers, layout.Length, width, width, batchSize, options);
        learner.Parameters.CopyFromCPU(store.Values);
        learner.TargetParameters.CopyFromCPU(targetStore.Values);
        using DeviceBatch deviceBatch = gpu.CreateBatch(batchSize);
        ReplayBatch cpuBatch = cpu.CreateBatch(batchSize);
        var work = new CpuUpdate(batchSize, width);

        yield return new BenchmarkRow(
            "DQN update (HER sample + forward ×3 + loss + backward + Adam)", $"{capacity:N0} / {batchSize:N0}, 80 → {sizes.DqnHidden} → {sizes.DqnHidden} → 40",
            BenchmarkTimer.MedianMicroseconds(
                () =>
                {
                    gpu.SampleHer(deviceBatch, HerGoalStrategy.Future, 4, reward);
                    learner.Update(deviceBatch);
                    device.Accelerator.Synchronize();
                }, 3, sizes.Repetitions),
            BenchmarkTimer.MedianMicroseconds(
                () =>
                {
                    cpu.SampleHer(cpuBatch, HerOptions.Default, reward);
                    work.Run(cpuBatch, online, target, store, adam);
                }, 3, sizes.Repetitions));
        gpu.ThrowIfFaulted();
    }

    /// <summary>The CPU trainer's update on a sampled batch, with its buffers allocated once.</summary>
    private sealed class CpuUpdate(int batch, int width)
    {
        private readonly float[] _current = new float[batch * 2 * width];
        private readonly float[] _next = new float[batch * 2 * width];
        private readonly float[] _onlineNext = new float[batch * width];
        private readonly float[] _targets = new float[batch];
        private readonly float[] _chosen = new float[batch];
        private readonly float[] _chosenGradient = new float[batch];
        private readonly float[] _qGradient = new float[batch * width];
        private readonly int[] _actions = new int[batch];

        public void Run(ReplayBatch sample, Sequential online, Sequential target, ParameterStore store, Adam adam)
        {
            for (int i = 0; i < batch; i++)
            {
                sample.Observations.AsSpan(i * width, width).CopyTo(_current.AsSpan(i * 2 * width));
                sample.DesiredGoals.AsSpan(i * width, width).CopyTo(_current.AsSpan((i * 2 * width) + width));
                sample.NextObservations.AsSpan(i * width, width).CopyTo(_next.AsSpan(i * 2 * width));
                sample.DesiredGoals.AsSpan(i * width, width).CopyTo(_next.AsSpan((i * 2 * width) + width));
                _actions[i] = (int)sample.Actions[i];
            }

            online.Forward(_next, batch).CopyTo(_onlineNext);
            ReadOnlySpan<float> targetNext = target.Forward(_next, batch);
            TemporalDifference.Targets(sample.Rewards, sample.Terminated, targetNext, _onlineNext, batch, width, 0.98f, _targets);
            ReadOnlySpan<float> q = online.Forward(_current, batch);
            TemporalDifference.Chosen(q, _actions, batch, width, _chosen);
            Loss.Huber(_chosen, _targets, _chosenGradient, batch);
            TemporalDifference.Scatter(_chosenGradient, _actions, batch, width, _qGradient);
            store.ZeroGradients();
            online.Backward(_qGradient);
            adam.Step();
        }
    }
}
