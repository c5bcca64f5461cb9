using System;
using System.Linq;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>Features outputs (Actor-Mimic): the generated {Network}Features classes.</summary>
public partial class NetworkTests
{
    private const string FeatureSpecs = """
        agent FeatureTeacher {
          tasks: 1
          input obs: 5
          action: discrete(3)
          network q {
            h = mlp(obs, widths: [6, 4], activation: tanh)
            out q = q_values(h)
            out features = features(h)
          }
          train dqn { }
        }

        agent FeatureStudent {
          tasks: 3
          input obs: 5
          action: discrete(3)
          network q {
            z = embedding(task, dim: 2)
            h = mlp(concat(obs, onehot(task)), widths: [6], activation: elu, film: z)
            out q = q_values(linear(h, width: 4, activation: relu), per_task: true)
            out f = features(h, width: 4, per_task: true)
          }
          train distill { method: actor_mimic(features: 0.1) }
        }

        agent FeatureCritic {
          tasks: 2
          input obs: 5
          action: continuous(2)
          network actor {
            out a = gaussian(mlp(obs, widths: [4]))
          }
          network critic {
            h = linear(concat(obs, action, onehot(task)), width: 6, activation: tanh)
            out q = q_values(mlp(h, widths: [4]))
            out f = features(h, width: 3, per_task: true)
          }
          train sac { }
        }
        """;

    [Fact]
    public void ATeachersFeaturesAreItsHiddenLayer()
    {
        var compiled = Compile(FeatureSpecs, "FeatureTeacher");
        var layout = compiled.Layout();
        var store = new ParameterStore(layout);
        store.Initialize(3);
        const int batch = 4;
        var obs = Random(batch * 5, 8);
        var features = (IFeatureNetwork)compiled.Create("QFeatures", store, batch);
        Assert.Equal((4, batch), (features.Width, features.MaxBatch));
        var viaRows = features.Forward(new NetworkInputs(obs, default, default, batch)).ToArray();
        var typed = compiled.Forward("QFeatures", features, new() { ["obs"] = obs }, new int[batch], batch);
        Assert.Equal(viaRows, typed);

        // h = tanh(tanh(obs·W0 + b0)·W1 + b1), in float64 from the store.
        double[] Affine(double[] x, int rows, int inWidth, string slice, int outWidth, bool tanh = true)
        {
            var w = store.ValuesOf(layout[slice + ".weight"]);
            var b = store.ValuesOf(layout[slice + ".bias"]);
            var y = new double[rows * outWidth];
            for (var r = 0; r < rows; r++)
            {
                for (var o = 0; o < outWidth; o++)
                {
                    double sum = b[o];
                    for (var i = 0; i < inWidth; i++) sum += x[r * inWidth + i] * w[i * outWidth + o];
                    y[r * outWidth + o] = tanh ? Math.Tanh(sum) : sum;
                }
            }
            return y;
        }
        var hidden = Affine(Affine(obs.Select(v => (double)v).ToArray(), batch, 5, "q.h.fc0", 6), batch, 6, "q.h.fc1", 4);
        for (var i = 0; i < hidden.Length; i++) Assert.True(Math.Abs(hidden[i] - viaRows[i]) < 1e-5, $"feature {i}: {viaRows[i]} from the features class, {hidden[i]} by hand");

        // The Q network on the same store reads the same h: its values are the head applied to these features.
        var q = (IQNetwork)compiled.Create("QNetwork", store, batch);
        var values = q.Forward(new NetworkInputs(obs, default, default, batch)).ToArray();
        var head = Affine(hidden, batch, 4, "q.q", 3, tanh: false);
        for (var i = 0; i < values.Length; i++) Assert.True(Math.Abs(head[i] - values[i]) < 1e-4, $"q {i}: {values[i]} vs {head[i]}");
    }

    [Fact]
    public void AStudentsPredictorTrainsItsBodyAndItsOwnTaskReadoutOnly()
    {
        var compiled = Compile(FeatureSpecs, "FeatureStudent");
        var layout = compiled.Layout();
        var store = new ParameterStore(layout);
        store.Initialize(5);
        const int batch = 4;
        var predictor = (IFeatureNetwork)compiled.Create("QFeatures", store, batch);
        var obs = Random(batch * 5, 2);
        // Every row is task 1.
        var tasks = Enumerable.Repeat(1, batch).ToArray();
        var output = predictor.Forward(new NetworkInputs(obs, default, tasks, batch));
        Assert.Equal(batch * 4, output.Length);
        store.ZeroGradients();
        predictor.Backward(Random(batch * 4, 6));
        bool Touched(string slice) => store.GradientsOf(layout[slice]).ToArray().Any(g => g != 0f);
        Assert.True(Touched("q.h.fc0.weight"), "the body's first layer");
        Assert.True(Touched("q.h.film0.weight"), "the body's FiLM");
        Assert.True(Touched("q.z.table"), "the task embedding");
        Assert.True(Touched("q.f.task1.weight"), "task 1's predictor");
        Assert.False(Touched("q.f.task0.weight"), "task 0's predictor");
        Assert.False(Touched("q.q.task1.weight"), "the Q head");
        Assert.False(Touched("q.q_linear.weight"), "the layer only the Q head reads");
    }
}
