using System;
using System.Collections.Generic;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Cli.Devices;

/// <summary>A plain MLP's parameter layout — weight (inputs × outputs) and bias slices in turn, each layer reading the last one's outputs — as device dense layers.</summary>
internal static class DeviceLayers
{
    /// <summary>The layers of <paramref name="layout"/>.</summary>
    /// <exception cref="ArgumentException">The layout is not such a chain (the message names the slice).</exception>
    public static List<DeviceDenseLayer> Of(ParameterLayout layout) => Chain(layout.Slices);

    /// <summary>The layers of the slices named <paramref name="names"/> (one network's parameter groups, in order).</summary>
    /// <exception cref="ArgumentException">A name is not in the layout, or the slices are not such a chain.</exception>
    public static List<DeviceDenseLayer> Of(ParameterLayout layout, IEnumerable<string> names)
    {
        var slices = new List<ParameterSlice>();
        foreach (var name in names)
        {
            if (!layout.TryGet(name, out var slice)) throw new ArgumentException($"the parameter layout has no slice '{name}'", nameof(names));
            slices.Add(slice);
        }
        return Chain(slices);
    }

    private static List<DeviceDenseLayer> Chain(IReadOnlyList<ParameterSlice> slices)
    {
        if (slices.Count == 0 || slices.Count % 2 != 0)
        {
            throw new ArgumentException($"the parameter layout has {slices.Count} slices; a plain MLP has a weight and a bias per layer", nameof(slices));
        }
        var layers = new List<DeviceDenseLayer>();
        for (var s = 0; s < slices.Count; s += 2)
        {
            ParameterSlice weight = slices[s], bias = slices[s + 1];
            if (bias.Length != weight.Columns || (layers.Count > 0 && weight.Rows != layers[^1].Outputs))
            {
                throw new ArgumentException(
                    $"slices '{weight.Name}' ({weight.Rows} × {weight.Columns}) and '{bias.Name}' ({bias.Rows} × {bias.Columns}) are not a dense layer reading the previous one's outputs", nameof(slices));
            }
            layers.Add(new DeviceDenseLayer(weight.Rows, weight.Columns, weight.Offset, bias.Offset));
        }
        return layers;
    }
}
