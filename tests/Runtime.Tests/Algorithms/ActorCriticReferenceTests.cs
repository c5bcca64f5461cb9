using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Runtime.Tests.Algorithms;

/// <summary>
/// One SAC (and one TD3) update on linear networks, recomputed in float64 from the formulas written out here:
/// targets, both critics' gradients, the actor's gradient (by central differences of the actor
/// loss) and the temperatures' gradient, each read just before its optimizer steps.
/// </summary>
public sealed class ActorCriticReferenceTests
{
    private const int Observation = 4, Goal = 2, Input = Observation + Goal, D = 2, Batch = 6;
    private const double LogStdMin = -5, LogStdMax = 2;

    private sealed class Capture
    {
        public double[] Obs = [], Next = [], Goals = [], Actions = [], Rewards = [], Terminated = [];
        public int[] Tasks = [];
        public double[] Online = [], Twin = [], Target = [], TwinTarget = [], LogAlpha = [];
        public double[] CriticGradient = [], TwinGradient = [];
        public double[] ActorStepOnline = [], ActorStepTwin = [], ActorGradient = [];
        public double[] AlphaGradient = [];
        public double[] TargetNoise = [], ActorNoise = [];
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void OneUpdateMatchesTheFormulasInFloat64(int tasks, bool alphaSoftmax)
    {
        var environment = ActorCriticAgents.PointMass(4, tasks);
        var builder = new ParameterLayoutBuilder();
        var actorChain = new SequentialBuilder(builder, "actor", Input).Linear(2 * D, Initializer.XavierUniform(1f));
        var criticChain = new SequentialBuilder(builder, "critic", Input + D).Linear(1, Initializer.XavierUniform(1f));
        var layout = builder.Build();
        var options = new SacOptions
        {
            BatchSize = Batch, Warmup = 16, Gamma = 0.9, AlphaInit = 0.5, Seed = 21, ReplayCapacity = 1_000,
            Alpha = tasks > 1 ? TemperatureMode.PerTask : TemperatureMode.Learned,
            LossWeighting = alphaSoftmax ? TaskLossWeighting.AlphaSoftmax : TaskLossWeighting.Fixed,
            LogStdMin = (float)LogStdMin, LogStdMax = (float)LogStdMax, TargetEntropy = -1.5,
        };
        var trainer = new SacTrainer(environment, layout,
            (store, batch) => new SequentialPolicyNetwork(actorChain.Bind(store, batch), "actor", layout, Observation, Goal, D, stochastic: true),
            (store, batch) => new SequentialCriticNetwork(criticChain.Bind(store, batch), "critic", layout, Observation, Goal, D),
            options);
        var c = new Capture();
        var captured = false;
        trainer.BeforeOptimizerStep = step =>
        {
            if (captured) return;
            var batch = trainer.Loop.Batch;
            switch (step)
            {
                case "critic":
                    c.Obs = D64(batch.Observations); c.Next = D64(batch.NextObservations); c.Goals = D64(batch.DesiredGoals);
                    c.Actions = D64(batch.Actions); c.Rewards = D64(batch.Rewards); c.Terminated = D64(batch.Terminated);
                    c.Tasks = batch.TaskIds.ToArray();
                    c.Online = D64(trainer.Parameters.Values); c.Twin = D64(trainer.TwinParameters.Values);
                    c.Target = D64(trainer.TargetParameters.Values); c.TwinTarget = D64(trainer.TwinTargetParameters.Values);
                    c.LogAlpha = D64(trainer.LogAlpha.ToArray());
                    c.CriticGradient = D64(trainer.Parameters.Gradients);
                    c.TargetNoise = D64(trainer.LastNoise.Target);
                    break;
                case "twin":
                    c.TwinGradient = D64(trainer.TwinParameters.Gradients);
                    break;
                case "actor":
                    c.ActorStepOnline = D64(trainer.Parameters.Values); c.ActorStepTwin = D64(trainer.TwinParameters.Values);
                    c.ActorGradient = D64(trainer.Parameters.Gradients);
                    c.ActorNoise = D64(trainer.LastNoise.Actor);
                    break;
                case "alpha":
                    c.AlphaGradient = D64(trainer.LogAlphaGradient.ToArray());
                    captured = true;
                    break;
            }
        };
        while (trainer.Updates == 0) trainer.Step();
        Assert.True(captured);

        var aw = layout["actor.fc0.weight"]; var ab = layout["actor.fc0.bias"];
        var cw = layout["critic.fc0.weight"]; var cb = layout["critic.fc0.bias"];
        var weights = new double[Batch];
        for (var i = 0; i < Batch; i++) weights[i] = TaskWeight(c.LogAlpha, c.Tasks[i], tasks, alphaSoftmax);

        // Targets: y = r + γ(1 − d)(min Q̄(s′, a′) − α log π(a′|s′)), a′ from the current actor.
        var y = new double[Batch];
        for (var i = 0; i < Batch; i++)
        {
            var x = Row(c.Next, c.Goals, i);
            var (a, logp) = Sample(c.Online, aw, ab, x, c.TargetNoise.AsSpan(i * D, D).ToArray());
            var q = Math.Min(Q(c.Target, cw, cb, x, a), Q(c.TwinTarget, cw, cb, x, a));
            y[i] = c.Rewards[i] + 0.9 * (1 - c.Terminated[i]) * (q - Alpha(c.LogAlpha, c.Tasks[i]) * logp);
        }
        // Critic k: ∂/∂W Σ wᵢ(Qₖ − yᵢ)²/B.
        foreach (var (parameters, gradient) in new[] { (c.Online, c.CriticGradient), (c.Twin, c.TwinGradient) })
        {
            var expected = new double[Input + D + 1];
            for (var i = 0; i < Batch; i++)
            {
                var z = Row(c.Obs, c.Goals, i).Concat(c.Actions.Skip(i * D).Take(D)).ToArray();
                var error = Q(parameters, cw, cb, Row(c.Obs, c.Goals, i), c.Actions.Skip(i * D).Take(D).ToArray()) - y[i];
                for (var j = 0; j < z.Length; j++) expected[j] += 2 * weights[i] * error * z[j] / Batch;
                expected[^1] += 2 * weights[i] * error / Batch;
            }
            var actual = gradient.Skip(cw.Offset).Take(cw.Length).Append(gradient[cb.Offset]).ToArray();
            AssertClose(expected, actual, "critic gradient");
        }

        // Actor: L(θ) = Σ wᵢ(α log π(ãᵢ|sᵢ) − min(Q₁, Q₂)(sᵢ, ãᵢ))/B with the updated critics, by central differences.
        double ActorLoss(double[] online)
        {
            double loss = 0;
            for (var i = 0; i < Batch; i++)
            {
                var x = Row(c.Obs, c.Goals, i);
                var (a, logp) = Sample(online, aw, ab, x, c.ActorNoise.AsSpan(i * D, D).ToArray());
                var q = Math.Min(Q(online, cw, cb, x, a), Q(c.ActorStepTwin, cw, cb, x, a));
                loss += weights[i] * (Alpha(c.LogAlpha, c.Tasks[i]) * logp - q);
            }
            return loss / Batch;
        }
        var actorExpected = new double[aw.Length + ab.Length];
        var actorActual = new double[actorExpected.Length];
        for (var k = 0; k < actorExpected.Length; k++)
        {
            var index = k < aw.Length ? aw.Offset + k : ab.Offset + k - aw.Length;
            var plus = (double[])c.ActorStepOnline.Clone(); plus[index] += 1e-6;
            var minus = (double[])c.ActorStepOnline.Clone(); minus[index] -= 1e-6;
            actorExpected[k] = (ActorLoss(plus) - ActorLoss(minus)) / 2e-6;
            actorActual[k] = c.ActorGradient[index];
        }
        AssertClose(actorExpected, actorActual, "actor gradient");
        Assert.All(c.ActorGradient.Skip(cw.Offset).Take(cw.Length), g => Assert.Equal(0.0, g)); // zeroed critic part is not the actor's

        // Temperatures: ∂/∂log αₜ of −Σ log α_task(i)·(log πᵢ + H̄)/B.
        var alphaExpected = new double[c.LogAlpha.Length];
        for (var i = 0; i < Batch; i++)
        {
            var (_, logp) = Sample(c.ActorStepOnline, aw, ab, Row(c.Obs, c.Goals, i), c.ActorNoise.AsSpan(i * D, D).ToArray());
            alphaExpected[c.LogAlpha.Length == 1 ? 0 : c.Tasks[i]] -= (logp - 1.5) / Batch;
        }
        AssertClose(alphaExpected, c.AlphaGradient, "temperature gradient");
    }

    [Fact]
    public void AlphaSoftmaxWeightsSumToTheTaskCountAndFavourConfidentTasks()
    {
        var environment = ActorCriticAgents.PointMass(6, 3);
        var trainer = ActorCriticAgents.Sac(environment, new SacOptions
        {
            BatchSize = 32, Warmup = 120, Alpha = TemperatureMode.PerTask, LossWeighting = TaskLossWeighting.AlphaSoftmax, Seed = 4, ReplayCapacity = 5_000,
        }, hidden: 16);
        trainer.Train(600);

        var weights = trainer.TaskLossWeights.ToArray();
        Assert.Equal(3.0, weights.Sum(), 9);
        var logAlpha = trainer.LogAlpha.ToArray();
        Assert.True(logAlpha.Distinct().Count() > 1, "per-task temperatures should have moved apart");
        var smallest = Array.IndexOf(logAlpha, logAlpha.Min());
        Assert.Equal(weights.Max(), weights[smallest]);
    }

    private static double TaskWeight(double[] logAlpha, int task, int tasks, bool alphaSoftmax)
    {
        if (!alphaSoftmax) return 1;
        var exps = logAlpha.Select(l => Math.Exp(-l)).ToArray();
        return tasks * exps[task] / exps.Sum();
    }

    private static double Alpha(double[] logAlpha, int task) => Math.Exp(logAlpha[logAlpha.Length == 1 ? 0 : task]);

    private static double[] Row(double[] observations, double[] goals, int i) =>
        observations.Skip(i * Observation).Take(Observation).Concat(goals.Skip(i * Goal).Take(Goal)).ToArray();

    private static double Q(double[] parameters, ParameterSlice weight, ParameterSlice bias, double[] x, double[] a)
    {
        var z = x.Concat(a).ToArray();
        var q = parameters[bias.Offset];
        for (var j = 0; j < z.Length; j++) q += z[j] * parameters[weight.Offset + j];
        return q;
    }

    /// <summary>The tanh-Gaussian sample and its log-probability, as docs/algorithms.md writes them.</summary>
    private static (double[] Action, double LogProbability) Sample(double[] parameters, ParameterSlice weight, ParameterSlice bias, double[] x, double[] noise)
    {
        var readout = new double[2 * D];
        for (var o = 0; o < 2 * D; o++)
        {
            readout[o] = parameters[bias.Offset + o];
            for (var j = 0; j < x.Length; j++) readout[o] += x[j] * parameters[weight.Offset + j * 2 * D + o];
        }
        var action = new double[D];
        double logp = 0;
        for (var k = 0; k < D; k++)
        {
            var logStd = LogStdMin + 0.5 * (LogStdMax - LogStdMin) * (Math.Tanh(readout[D + k]) + 1);
            var u = readout[k] + Math.Exp(logStd) * noise[k];
            action[k] = Math.Tanh(u);
            var logOneMinusTanhSquared = 2 * (Math.Log(2) - u - Math.Log(1 + Math.Exp(-2 * u)));
            logp += -0.5 * noise[k] * noise[k] - logStd - 0.5 * Math.Log(2 * Math.PI) - logOneMinusTanhSquared;
        }
        return (action, logp);
    }

    private static double[] D64(float[] values) => values.Select(v => (double)v).ToArray();

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(1e-3, expected.Max(Math.Abs));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-3 * scale, $"{what}[{i}]: expected {expected[i]:G6}, got {actual[i]:G6}");
        }
        Assert.Contains(expected, e => Math.Abs(e) > 1e-6);
    }

    [Fact]
    public void Td3TargetsUseTheClippedSmoothedTargetActionAndTheSmallerTargetCritic()
    {
        var environment = ActorCriticAgents.PointMass(4, 1);
        var builder = new ParameterLayoutBuilder();
        var actorChain = new SequentialBuilder(builder, "actor", Input).Linear(D, Initializer.XavierUniform(3f)).Activation(ActivationKind.Tanh);
        var criticChain = new SequentialBuilder(builder, "critic", Input + D).Linear(1, Initializer.XavierUniform(1f));
        var layout = builder.Build();
        var options = new Td3Options { BatchSize = Batch, Warmup = 16, Gamma = 0.9, Seed = 8, ReplayCapacity = 1_000, PolicyNoise = 0.6, NoiseClip = 0.3 };
        var trainer = new Td3Trainer(environment, layout,
            (store, batch) => new SequentialPolicyNetwork(actorChain.Bind(store, batch), "actor", layout, Observation, Goal, D, stochastic: false),
            (store, batch) => new SequentialCriticNetwork(criticChain.Bind(store, batch), "critic", layout, Observation, Goal, D),
            options);
        double[]? expected = null, actual = null, noise = null;
        trainer.BeforeOptimizerStep = step =>
        {
            if (step != "critic" || expected is not null) return;
            var batch = trainer.Loop.Batch;
            var target = D64(trainer.TargetParameters.Values);
            var twinTarget = D64(trainer.TwinTargetParameters.Values);
            var online = D64(trainer.Parameters.Values);
            noise = D64(trainer.LastSmoothingNoise);
            var aw = layout["actor.fc0.weight"]; var ab = layout["actor.fc0.bias"];
            var cw = layout["critic.fc0.weight"]; var cb = layout["critic.fc0.bias"];
            expected = new double[Input + D + 1];
            for (var i = 0; i < Batch; i++)
            {
                var next = Row(D64(batch.NextObservations), D64(batch.DesiredGoals), i);
                var action = new double[D];
                for (var k = 0; k < D; k++)
                {
                    var pre = target[ab.Offset + k];
                    for (var j = 0; j < Input; j++) pre += next[j] * target[aw.Offset + j * D + k];
                    action[k] = Math.Clamp(Math.Tanh(pre) + Math.Clamp(noise[i * D + k], -0.3, 0.3), -1, 1);
                }
                var y = batch.Rewards[i] + 0.9 * (1 - batch.Terminated[i]) * Math.Min(Q(target, cw, cb, next, action), Q(twinTarget, cw, cb, next, action));
                var x = Row(D64(batch.Observations), D64(batch.DesiredGoals), i);
                var taken = D64(batch.Actions).Skip(i * D).Take(D).ToArray();
                var error = Q(online, cw, cb, x, taken) - y;
                var z = x.Concat(taken).ToArray();
                for (var j = 0; j < z.Length; j++) expected[j] += 2 * error * z[j] / Batch;
                expected[^1] += 2 * error / Batch;
            }
            var gradients = D64(trainer.Parameters.Gradients);
            actual = gradients.Skip(cw.Offset).Take(cw.Length).Append(gradients[cb.Offset]).ToArray();
        };
        while (trainer.Updates == 0) trainer.Step();

        Assert.NotNull(expected);
        Assert.Contains(noise!, n => Math.Abs(n) > 0.3); // the clip mattered
        AssertClose(expected!, actual!, "TD3 critic gradient");
    }
}
