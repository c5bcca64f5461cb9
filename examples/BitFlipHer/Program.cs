using System;
using System.Globalization;
using Mtrl.Runtime.Environments;

namespace Examples.BitFlip;

/// <summary>
/// Trains the agent the generator made of examples/specs/her_bitflip.mtrl — DQN with hindsight
/// relabeling on 40-bit BitFlip — with nothing but the generated class: its trainer factory binds
/// the generated Q network, the spec's settings and the runtime's trainer.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var transitions = BitFlipHer.Training.Steps;
        if (args.Length > 0 && (!long.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out transitions) || transitions < 1))
        {
            Console.Error.WriteLine($"usage: BitFlipHer [transitions]; transitions must be a whole number ≥ 1 (default {BitFlipHer.Training.Steps:N0}), found '{args[0]}'");
            return 2;
        }

        var environment = new BitFlipVectorEnvironment(16, BitFlipHer.BitsWidth);
        var trainer = BitFlipHer.CreateTrainer(environment, BitFlipHer.CreateDqnOptions() with { Steps = transitions });
        Console.WriteLine($"BitFlipHer: {BitFlipHer.BitsWidth} bits, {BitFlipHer.Training.Algorithm} with HER '{BitFlipHer.Training.HerStrategy}' (k = {BitFlipHer.Training.HerK}), " +
                          $"{trainer.Parameters.Layout.ParameterCount:N0} parameters, {transitions:N0} transitions in 16 environments");
        Console.WriteLine($"{"transitions",12} {"episodes",9} {"success",8} {"return",9} {"loss",10}");
        var every = Math.Max(transitions / 10, 1);
        while (trainer.Transitions < transitions)
        {
            trainer.Train(Math.Min(transitions, trainer.Transitions + every));
            var episodes = trainer.Episodes;
            Console.WriteLine($"{trainer.Transitions,12:N0} {episodes.Episodes,9:N0} {episodes.TerminationRate,8:P0} {episodes.MeanReturn,9:F2} {trainer.LastLoss,10:G3}");
        }
        return 0;
    }
}
