using System;
using Mtrl.Runtime.Parameters;

namespace Examples.BitFlip;

/// <summary>Shows what the generator made of examples/specs/her_bitflip.mtrl.</summary>
internal static class Program
{
    private static void Main()
    {
        var layout = BitFlipHer.CreateLayout();
        var store = new ParameterStore(layout);
        store.Initialize((ulong)BitFlipHer.Training.Seed);

        Console.WriteLine($"BitFlipHer: {BitFlipHer.BitsWidth} bits, {BitFlipHer.ActionSize} actions, {BitFlipHer.Training.Algorithm} with HER '{BitFlipHer.Training.HerStrategy}' (k = {BitFlipHer.Training.HerK})");
        Console.WriteLine($"{layout.Slices.Count} parameter slices, {layout.ParameterCount:N0} parameters:");
        foreach (var slice in layout.Slices)
        {
            Console.WriteLine($"  {slice.Name,-16} {slice.Rows,4} x {slice.Columns,-4} {slice.Owner}");
        }
    }
}
