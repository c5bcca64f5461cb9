using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Runtime.Tests;

public class ParameterTests
{
    [Fact]
    public void LayoutAlignsSlicesAndRejectsBadShapes()
    {
        var builder = new ParameterLayoutBuilder();
        var a = builder.Add("a", ParameterOwner.Shared, 3, 3, Initializer.Zeros);
        var b = builder.Add("b", ParameterOwner.Module(1, 2), 1, 1, Initializer.Zeros);
        Assert.Equal(0, a.Offset);
        Assert.Equal(16, b.Offset);
        Assert.Throws<ArgumentException>(() => builder.Add("a", ParameterOwner.Shared, 1, 1, Initializer.Zeros));
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => builder.Add("c", ParameterOwner.Shared, 0, 1, Initializer.Zeros)).ParamName);
        var layout = builder.Build();
        Assert.Equal(24, layout.Length);
        Assert.Equal(10, layout.ParameterCount);
        Assert.Same(b, layout["b"]);
        Assert.Contains("no parameter slice named 'z'", Assert.Throws<System.Collections.Generic.KeyNotFoundException>(() => layout["z"]).Message);
        Assert.Equal("module (1,2)", b.Owner.ToString());
    }

    [Fact]
    public void LayoutHashChangesWithNamesOwnersAndShapes()
    {
        ulong Hash(string name, ParameterOwner owner, int rows)
        {
            var builder = new ParameterLayoutBuilder();
            builder.Add(name, owner, rows, 4, Initializer.Zeros);
            return builder.Build().Hash;
        }
        var baseline = Hash("w", ParameterOwner.Shared, 2);
        Assert.Equal(baseline, Hash("w", ParameterOwner.Shared, 2));
        Assert.NotEqual(baseline, Hash("v", ParameterOwner.Shared, 2));
        Assert.NotEqual(baseline, Hash("w", ParameterOwner.Task(0), 2));
        Assert.NotEqual(baseline, Hash("w", ParameterOwner.Shared, 3));
    }

    [Fact]
    public void InitializersFollowTheirDefinitionsAndDependOnlyOnSeedAndName()
    {
        var builder = new ParameterLayoutBuilder();
        var kaiming = builder.Add("k", ParameterOwner.Shared, 200, 50, Initializer.KaimingUniform(MathF.Sqrt(2f)));
        var xavier = builder.Add("x", ParameterOwner.Shared, 100, 300, Initializer.XavierUniform());
        var orthogonal = builder.Add("o", ParameterOwner.Shared, 40, 12, Initializer.Orthogonal(2f));
        var wide = builder.Add("ow", ParameterOwner.Shared, 5, 30, Initializer.Orthogonal());
        var constant = builder.Add("c", ParameterOwner.Shared, 1, 7, Initializer.Constant(0.5f));
        var normal = builder.Add("n", ParameterOwner.Shared, 100, 100, Initializer.Normal(0.1f));
        var store = new ParameterStore(builder.Build());
        store.Initialize(11);

        var kBound = MathF.Sqrt(2f) * MathF.Sqrt(3f / 200);
        Assert.All(store.ValuesOf(kaiming).ToArray(), v => Assert.InRange(v, -kBound, kBound));
        Assert.True(store.ValuesOf(kaiming).ToArray().Max() > 0.9f * kBound);
        var xBound = MathF.Sqrt(6f / 400);
        Assert.All(store.ValuesOf(xavier).ToArray(), v => Assert.InRange(v, -xBound, xBound));
        Assert.All(store.ValuesOf(constant).ToArray(), v => Assert.Equal(0.5f, v));
        var n = store.ValuesOf(normal).ToArray();
        var std = Math.Sqrt(n.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.095, 0.105);

        // Orthogonal: columns (tall) or rows (wide) orthonormal times gain.
        var o = store.ValuesOf(orthogonal).ToArray();
        for (var i = 0; i < 12; i++)
        {
            for (var j = 0; j < 12; j++)
            {
                var dot = Enumerable.Range(0, 40).Sum(r => (double)o[r * 12 + i] * o[r * 12 + j]);
                Assert.Equal(i == j ? 4.0 : 0.0, dot, 4);
            }
        }
        var w = store.ValuesOf(wide).ToArray();
        for (var i = 0; i < 5; i++)
        {
            for (var j = 0; j < 5; j++)
            {
                var dot = Enumerable.Range(0, 30).Sum(c => (double)w[i * 30 + c] * w[j * 30 + c]);
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 4);
            }
        }

        // A slice's values depend on the seed and its name only, not on what else is in the layout.
        var other = new ParameterLayoutBuilder();
        other.Add("extra", ParameterOwner.Shared, 3, 3, Initializer.Normal(1f));
        var sameName = other.Add("k", ParameterOwner.Shared, 200, 50, Initializer.KaimingUniform(MathF.Sqrt(2f)));
        var otherStore = new ParameterStore(other.Build());
        otherStore.Initialize(11);
        Assert.Equal(store.ValuesOf(kaiming).ToArray(), otherStore.ValuesOf(sameName).ToArray());
        otherStore.Initialize(12);
        Assert.NotEqual(store.ValuesOf(kaiming).ToArray(), otherStore.ValuesOf(sameName).ToArray());
    }

    [Fact]
    public void FreezingAndScalesAreValidated()
    {
        var builder = new ParameterLayoutBuilder();
        var a = builder.Add("col0.w", ParameterOwner.Column(0), 2, 2, Initializer.Zeros);
        var b = builder.Add("col1.w", ParameterOwner.Column(1), 2, 2, Initializer.Zeros);
        var store = new ParameterStore(builder.Build());
        var version = store.Version;
        store.Freeze(s => s.Owner == ParameterOwner.Column(0));
        Assert.True(store.IsFrozen(a));
        Assert.False(store.IsFrozen(b));
        Assert.NotEqual(version, store.Version);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => store.SetLearningRateScale(b, -1f)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.SetLearningRateScale(b, float.NaN));
    }
}
