using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Transfer;
using Xunit;

namespace Mtrl.Runtime.Tests.Transfer;

public sealed class PathwayEvolutionTests
{
    /// <summary>Everything observable about an evolution, to compare two of them (fitness as bits, so NaN compares equal).</summary>
    private static long[] Snapshot(PathwayEvolution evolution)
    {
        var state = new List<long> { evolution.Current, evolution.Tournaments, evolution.Best, evolution.LastWinner };
        foreach (var c in evolution.Contestants) state.Add(c);
        for (var i = 0; i < evolution.Population; i++)
        {
            foreach (var gene in evolution.Genotype(i)) state.Add(gene);
            state.Add(BitConverter.DoubleToInt64Bits(evolution.Fitness(i)));
        }
        return state.ToArray();
    }

    /// <summary>A fitness that depends on the genotype being evaluated and on the step, so runs diverge if either does.</summary>
    private static double FitnessOf(PathwayEvolution evolution, int step)
    {
        var genes = evolution.Genotype(evolution.Current);
        double sum = 0;
        for (var g = 0; g < genes.Length; g++) sum += genes[g] * (g + 1);
        return step % 7 == 0 ? double.NaN : sum + (step % 5) * 0.25;
    }

    private static PathwayEvolution Make(PathNetEvolutionOptions options, int layers = 3, int modules = 10, int active = 3, ulong seed = 17, ulong stream = 4) =>
        new(layers, modules, active, options, seed, stream);

    private static int[][] Genotypes(PathwayEvolution evolution) =>
        Enumerable.Range(0, evolution.Population).Select(i => evolution.Genotype(i).ToArray()).ToArray();

    [Fact]
    public void LastWinnerIsTheLatestTournamentsWinnerEvenWhenAnOlderFitnessIsHigher()
    {
        var evolution = Make(new PathNetEvolutionOptions { Population = 4, Tournament = 2, MutationProbability = 0 }, layers: 2, modules: 4, active: 2);
        Assert.Equal(evolution.Best, evolution.LastWinner);
        Assert.Equal(0, evolution.Position);
        var firstTournament = evolution.Contestants.ToArray();
        evolution.Report(10);
        Assert.Equal(1, evolution.Position);
        evolution.Report(5);
        Assert.Equal(firstTournament[0], evolution.LastWinner);
        // Tournaments with the top genotype in them: it wins again (10 against NaN) and keeps its fitness.
        var top = firstTournament[0];
        while (evolution.Contestants.Contains(top))
        {
            evolution.Report(evolution.Current == top ? 10 : double.NaN);
            evolution.Report(evolution.Current == top ? 10 : double.NaN);
        }
        var second = evolution.Contestants.ToArray();
        evolution.Report(1);
        evolution.Report(2);
        Assert.Equal(second[1], evolution.LastWinner);
        Assert.Equal(firstTournament[0], evolution.Best);

        var checkpoint = new Checkpoint(0);
        evolution.Save(checkpoint, "e.");
        var restored = Make(new PathNetEvolutionOptions { Population = 4, Tournament = 2, MutationProbability = 0 }, layers: 2, modules: 4, active: 2);
        restored.Restore(checkpoint, "e.");
        Assert.Equal(second[1], restored.LastWinner);

        // A checkpoint from before last_winner existed: no winner known, the best fitness stands in.
        checkpoint.Counters.Remove("e.last_winner");
        restored.Restore(checkpoint, "e.");
        Assert.Equal(restored.Best, restored.LastWinner);
    }

    [Fact]
    public void TournamentCopiesTheWinnerOverEveryLoser()
    {
        var evolution = Make(new PathNetEvolutionOptions { Population = 8, Tournament = 4, MutationProbability = 0 }, layers: 4, modules: 50, active: 3);
        var before = Genotypes(evolution);
        var contestants = evolution.Contestants.ToArray();
        Assert.Equal(4, contestants.Distinct().Count());
        Assert.Equal(4, contestants.Select(c => string.Join(",", before[c])).Distinct().Count());

        double[] fitness = { 1, 3, 3, 2 };
        for (var k = 0; k < 4; k++)
        {
            Assert.Equal(contestants[k], evolution.Current);
            Assert.Equal(0, evolution.Tournaments);
            evolution.Report(fitness[k]);
        }

        Assert.Equal(1, evolution.Tournaments);
        var winner = contestants[1];
        Assert.Equal(3.0, evolution.Fitness(winner));
        Assert.Equal(winner, evolution.Best);
        Assert.Equal(winner, evolution.LastWinner);
        foreach (var loser in contestants.Where(c => c != winner))
        {
            Assert.Equal(before[winner], evolution.Genotype(loser).ToArray());
            Assert.True(double.IsNaN(evolution.Fitness(loser)));
        }
        Assert.Equal(before[winner], evolution.Genotype(winner).ToArray());
        foreach (var other in Enumerable.Range(0, 8).Except(contestants))
        {
            Assert.Equal(before[other], evolution.Genotype(other).ToArray());
            Assert.True(double.IsNaN(evolution.Fitness(other)));
        }
    }

    [Theory]
    [InlineData(new[] { double.NaN, double.NegativeInfinity, double.NaN, double.NaN }, 1)]
    [InlineData(new[] { double.NaN, double.NaN, double.NaN, double.NaN }, 0)]
    [InlineData(new[] { double.NaN, 2.0, 5.0, 5.0 }, 2)]
    [InlineData(new[] { -1.0, double.NaN, -1.0, -2.0 }, 0)]
    [InlineData(new[] { 0.0, 0.0, 0.0, 1.0 }, 3)]
    [InlineData(new[] { double.PositiveInfinity, double.PositiveInfinity, 1.0, double.NaN }, 0)]
    public void TiesGoToTheEarliestAndNaNLosesToAnyNumber(double[] fitness, int winnerPosition)
    {
        var evolution = Make(new PathNetEvolutionOptions { Population = 6, Tournament = 4, MutationProbability = 0 }, layers: 4, modules: 50, active: 3);
        var before = Genotypes(evolution);
        var contestants = evolution.Contestants.ToArray();
        Assert.Equal(4, contestants.Select(c => string.Join(",", before[c])).Distinct().Count());
        foreach (var f in fitness) evolution.Report(f);

        var winner = contestants[winnerPosition];
        foreach (var c in contestants)
        {
            Assert.Equal(before[winner], evolution.Genotype(c).ToArray());
            Assert.Equal(c == winner ? fitness[winnerPosition] : double.NaN, evolution.Fitness(c));
        }
    }

    [Fact]
    public void BestIgnoresNaNAndIsZeroBeforeAnyEvaluation()
    {
        var evolution = Make(new PathNetEvolutionOptions { Population = 10, Tournament = 10, MutationProbability = 0 });
        Assert.Equal(0, evolution.Best);
        var contestants = evolution.Contestants.ToArray();
        evolution.Report(double.NaN);
        Assert.Equal(0, evolution.Best);
        evolution.Report(-3);
        Assert.Equal(contestants[1], evolution.Best);
        evolution.Report(double.NaN);
        evolution.Report(7);
        Assert.Equal(contestants[3], evolution.Best);
        evolution.Report(7);
        Assert.Equal(Math.Min(contestants[3], contestants[4]), evolution.Best);
    }

    /// <summary>
    /// Over ≥ 200k genes of copied losers: the share that changed is p·2s/(2s+1) (a mutation can
    /// draw a shift of 0), the nonzero shifts seen are exactly ±1 … ±s modulo M, equally often.
    /// </summary>
    [Theory]
    [InlineData(null, 2)]
    [InlineData(0.5, 3)]
    [InlineData(1.0, 1)]
    public void MutationRateAndShiftsMatchTheSettings(double? probability, int shift)
    {
        const int layers = 5, modules = 20, active = 4;
        var options = new PathNetEvolutionOptions { Population = 2, Tournament = 2, MutationProbability = probability, MutationShift = shift };
        var evolution = Make(options, layers, modules, active, seed: 99, stream: 1);
        var p = probability ?? 1.0 / (layers * active);
        Assert.Equal(p, evolution.MutationProbability);

        var counts = new long[modules];
        long genes = 0;
        while (genes < 200_000)
        {
            var winner = evolution.Contestants[0];
            var loser = evolution.Contestants[1];
            var parent = evolution.Genotype(winner).ToArray();
            evolution.Report(1);
            evolution.Report(0);
            var child = evolution.Genotype(loser);
            for (var g = 0; g < child.Length; g++) counts[((child[g] - parent[g]) % modules + modules) % modules]++;
            genes += child.Length;
            Assert.Equal(parent, evolution.Genotype(winner).ToArray());
        }

        var q = p * 2 * shift / (2 * shift + 1);
        var changed = genes - counts[0];
        Assert.InRange(changed, genes * q - 5 * Math.Sqrt(genes * q * (1 - q)), genes * q + 5 * Math.Sqrt(genes * q * (1 - q)));

        var expected = Enumerable.Range(1, shift).SelectMany(d => new[] { d, modules - d }).OrderBy(d => d).ToArray();
        Assert.Equal(expected, Enumerable.Range(1, modules - 1).Where(d => counts[d] > 0).ToArray());
        var share = changed / (2.0 * shift);
        var sigma = Math.Sqrt(changed * (1.0 / (2 * shift)) * (1 - 1.0 / (2 * shift)));
        foreach (var d in expected) Assert.InRange(counts[d], share - 5 * sigma, share + 5 * sigma);
    }

    [Fact]
    public void ShiftsWiderThanTheModuleCountWrapAround()
    {
        // Shifts −4 … 4 modulo 3 hit every residue 3 times out of 9, so a mutated gene is uniform.
        var evolution = Make(new PathNetEvolutionOptions { Population = 2, Tournament = 2, MutationProbability = 1, MutationShift = 4 }, layers: 4, modules: 3, active: 2);
        var counts = new long[3];
        long genes = 0;
        while (genes < 90_000)
        {
            var parent = evolution.Genotype(evolution.Current).ToArray();
            var loser = evolution.Contestants[1];
            evolution.Report(1);
            evolution.Report(0);
            var child = evolution.Genotype(loser);
            for (var g = 0; g < child.Length; g++)
            {
                Assert.InRange(child[g], 0, 2);
                counts[((child[g] - parent[g]) % 3 + 3) % 3]++;
            }
            genes += child.Length;
        }
        var sigma = Math.Sqrt(genes / 3.0 * (2.0 / 3.0));
        foreach (var count in counts) Assert.InRange(count, genes / 3.0 - 5 * sigma, genes / 3.0 + 5 * sigma);
    }

    [Fact]
    public void AShiftOfZeroNeverChangesAGene()
    {
        var evolution = Make(new PathNetEvolutionOptions { Population = 3, Tournament = 3, MutationProbability = 1, MutationShift = 0 });
        for (var t = 0; t < 50; t++)
        {
            var winner = evolution.Contestants[0];
            var parent = evolution.Genotype(winner).ToArray();
            var contestants = evolution.Contestants.ToArray();
            evolution.Report(1);
            evolution.Report(0);
            evolution.Report(0);
            foreach (var c in contestants) Assert.Equal(parent, evolution.Genotype(c).ToArray());
        }
    }

    [Fact]
    public void InitialGenesAreUniformOverTheModules()
    {
        var evolution = Make(new PathNetEvolutionOptions { Population = 4000, Tournament = 2 }, layers: 4, modules: 7, active: 3);
        var counts = new long[7];
        for (var i = 0; i < evolution.Population; i++)
        {
            foreach (var gene in evolution.Genotype(i)) counts[gene]++;
        }
        var genes = counts.Sum();
        Assert.Equal(4000 * 12, genes);
        var sigma = Math.Sqrt(genes / 7.0 * (6.0 / 7.0));
        foreach (var count in counts) Assert.InRange(count, genes / 7.0 - 5 * sigma, genes / 7.0 + 5 * sigma);
    }

    [Fact]
    public void ContestantsAreDistinctAndDrawnUniformly()
    {
        const int population = 10, tournament = 3, tournaments = 30_000;
        var evolution = Make(new PathNetEvolutionOptions { Population = population, Tournament = tournament }, seed: 5, stream: 77);
        var drawn = new long[population];
        var first = new long[population];
        for (var t = 0; t < tournaments; t++)
        {
            var contestants = evolution.Contestants;
            Assert.Equal(tournament, contestants.Length);
            for (var k = 0; k < tournament; k++)
            {
                Assert.InRange(contestants[k], 0, population - 1);
                for (var j = 0; j < k; j++) Assert.NotEqual(contestants[j], contestants[k]);
                drawn[contestants[k]]++;
            }
            first[contestants[0]]++;
            for (var k = 0; k < tournament; k++) evolution.Report(FitnessOf(evolution, t * tournament + k));
        }

        var q = (double)tournament / population;
        var sigma = Math.Sqrt(tournaments * q * (1 - q));
        foreach (var count in drawn) Assert.InRange(count, tournaments * q - 5 * sigma, tournaments * q + 5 * sigma);
        var firstSigma = Math.Sqrt(tournaments * 0.1 * 0.9);
        foreach (var count in first) Assert.InRange(count, tournaments * 0.1 - 5 * firstSigma, tournaments * 0.1 + 5 * firstSigma);
    }

    [Fact]
    public void TheSameSeedAndStreamGiveTheSameRun()
    {
        var options = new PathNetEvolutionOptions { Population = 16, Tournament = 3, MutationProbability = 0.3 };
        var a = Make(options);
        var b = Make(options);
        Assert.Equal(Snapshot(a), Snapshot(b));
        for (var step = 0; step < 600; step++)
        {
            a.Report(FitnessOf(a, step));
            b.Report(FitnessOf(b, step));
            Assert.Equal(Snapshot(a), Snapshot(b));
        }
        Assert.Equal(200, a.Tournaments);
    }

    [Fact]
    public void AnotherStreamOrSeedGivesAnotherRun()
    {
        var options = new PathNetEvolutionOptions { Population = 16, Tournament = 2 };
        var reference = Make(options, seed: 1, stream: 0);
        Assert.NotEqual(Snapshot(reference), Snapshot(Make(options, seed: 1, stream: 1)));
        Assert.NotEqual(Snapshot(reference), Snapshot(Make(options, seed: 2, stream: 0)));
        Assert.NotEqual(Genotypes(reference).SelectMany(g => g), Genotypes(Make(options, seed: 1, stream: 1)).SelectMany(g => g));
    }

    /// <summary>A shift of 2^30 makes 2s+1 = 2^31+1, so about half the words are rejected and draws run into extra blocks.</summary>
    [Theory]
    [InlineData(3)]
    [InlineData(1 << 30)]
    public void RestoredMidTournamentContinuesBitIdentically(int shift)
    {
        var options = new PathNetEvolutionOptions { Population = 12, Tournament = 3, MutationProbability = 0.4, MutationShift = shift };
        var uninterrupted = Make(options, layers: 4, modules: 6, active: 2);
        for (var step = 0; step < 100; step++) uninterrupted.Report(FitnessOf(uninterrupted, step));
        Assert.Equal(uninterrupted.Contestants[1], uninterrupted.Current);

        var checkpoint = new Checkpoint(0);
        uninterrupted.Save(checkpoint, "pathnet.");
        var path = Path.Combine(Path.GetTempPath(), "mtrl-evolution-" + Guid.NewGuid().ToString("N"));
        try
        {
            CheckpointFile.Save(path, checkpoint);
            checkpoint = CheckpointFile.Load(path);
        }
        finally
        {
            File.Delete(path);
        }

        // Another history on the same seed, then the checkpoint: it must not matter.
        var resumed = Make(options, layers: 4, modules: 6, active: 2);
        for (var step = 0; step < 7; step++) resumed.Report(FitnessOf(resumed, step + 1000));
        resumed.Restore(checkpoint, "pathnet.");
        Assert.Equal(Snapshot(uninterrupted), Snapshot(resumed));
        for (var step = 100; step < 400; step++)
        {
            uninterrupted.Report(FitnessOf(uninterrupted, step));
            resumed.Report(FitnessOf(resumed, step));
            Assert.Equal(Snapshot(uninterrupted), Snapshot(resumed));
        }
    }

    [Theory]
    [InlineData("missing genes")]
    [InlineData("missing shape")]
    [InlineData("missing counter")]
    [InlineData("missing position")]
    [InlineData("short fitness")]
    [InlineData("long genes")]
    [InlineData("gene too large")]
    [InlineData("negative gene")]
    [InlineData("repeated contestant")]
    [InlineData("contestant outside population")]
    [InlineData("position past tournament")]
    [InlineData("negative position")]
    [InlineData("negative tournaments")]
    [InlineData("last winner outside population")]
    [InlineData("other shape")]
    [InlineData("other layers with the same gene count")]
    [InlineData("other prefix")]
    public void BadCheckpointThrowsAndChangesNothing(string corruption)
    {
        var options = new PathNetEvolutionOptions { Population = 6, Tournament = 3 };
        var source = Make(options, layers: 3, modules: 5, active: 2, seed: 8);
        for (var step = 0; step < 10; step++) source.Report(FitnessOf(source, step));
        var checkpoint = new Checkpoint(0);
        source.Save(checkpoint, "e.");
        var prefix = "e.";
        switch (corruption)
        {
            case "missing genes": checkpoint.Integers.Remove("e.genes"); break;
            case "missing shape": checkpoint.Integers.Remove("e.shape"); break;
            case "missing counter": checkpoint.Counters.Remove("e.counter"); break;
            case "missing position": checkpoint.Counters.Remove("e.position"); break;
            case "short fitness": checkpoint.Integers["e.fitness"] = checkpoint.Integers["e.fitness"][1..]; break;
            case "long genes": checkpoint.Integers["e.genes"] = [.. checkpoint.Integers["e.genes"], 0]; break;
            case "gene too large": checkpoint.Integers["e.genes"][13] = 5; break;
            case "negative gene": checkpoint.Integers["e.genes"][0] = -1; break;
            case "repeated contestant": checkpoint.Integers["e.contestants"][2] = checkpoint.Integers["e.contestants"][0]; break;
            case "contestant outside population": checkpoint.Integers["e.contestants"][1] = 6; break;
            case "position past tournament": checkpoint.Counters["e.position"] = 3; break;
            case "negative position": checkpoint.Counters["e.position"] = -1; break;
            case "negative tournaments": checkpoint.Counters["e.tournaments"] = -1; break;
            case "last winner outside population": checkpoint.Counters["e.last_winner"] = 6; break;
            case "other shape":
                checkpoint = new Checkpoint(0);
                Make(options with { Tournament = 2 }, layers: 3, modules: 5, active: 2).Save(checkpoint, "e.");
                break;
            case "other layers with the same gene count":
                checkpoint = new Checkpoint(0);
                Make(options, layers: 2, modules: 5, active: 3).Save(checkpoint, "e.");
                break;
            default: prefix = "f."; break;
        }

        var target = Make(options, layers: 3, modules: 5, active: 2, seed: 8);
        for (var step = 0; step < 4; step++) target.Report(FitnessOf(target, step + 50));
        var before = Snapshot(target);
        Assert.Throws<CheckpointException>(() => target.Restore(checkpoint, prefix));
        Assert.Equal(before, Snapshot(target));

        // The evolution still works and still matches an untouched twin.
        var twin = Make(options, layers: 3, modules: 5, active: 2, seed: 8);
        for (var step = 0; step < 4; step++) twin.Report(FitnessOf(twin, step + 50));
        for (var step = 0; step < 30; step++)
        {
            target.Report(FitnessOf(target, step));
            twin.Report(FitnessOf(twin, step));
        }
        Assert.Equal(Snapshot(twin), Snapshot(target));
    }

    [Fact]
    public void LayerModulesAreDistinctAndAscending()
    {
        var evolution = Make(new PathNetEvolutionOptions { Population = 3, Tournament = 2 }, layers: 3, modules: 9, active: 4);
        var checkpoint = new Checkpoint(0);
        evolution.Save(checkpoint, "");
        long[] genes = checkpoint.Integers["genes"];
        long[] pathway1 = { 3, 1, 3, 0, 2, 2, 2, 2, 8, 5, 7, 6 };
        pathway1.CopyTo(genes, 12);
        evolution.Restore(checkpoint, "");
        Assert.Equal(pathway1.Select(g => (int)g), evolution.Genotype(1).ToArray());

        var destination = new int[6];
        destination.AsSpan().Fill(-9);
        Assert.Equal(3, evolution.LayerModules(1, 0, destination));
        Assert.Equal(new[] { 0, 1, 3 }, destination[..3]);
        Assert.Equal(1, evolution.LayerModules(1, 1, destination));
        Assert.Equal(2, destination[0]);
        Assert.Equal(4, evolution.LayerModules(1, 2, destination.AsSpan(0, 4)));
        Assert.Equal(new[] { 5, 6, 7, 8 }, destination[..4]);

        for (var i = 0; i < 3; i++)
        {
            for (var layer = 0; layer < 3; layer++)
            {
                var count = evolution.LayerModules(i, layer, destination);
                var expected = evolution.Genotype(i).Slice(layer * 4, 4).ToArray().Distinct().Order().ToArray();
                Assert.Equal(expected, destination[..count]);
            }
        }

        Assert.Throws<ArgumentException>(() => evolution.LayerModules(0, 0, new int[3]));
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => evolution.LayerModules(0, 3, destination)).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => evolution.LayerModules(3, 0, destination)).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => evolution.Genotype(-1)).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => evolution.Fitness(3)).ParamName);
    }

    public static TheoryData<PathNetEvolutionOptions, string, string> InvalidOptions => new()
    {
        { new PathNetEvolutionOptions { Population = 1 }, "Population", "at least 2" },
        { new PathNetEvolutionOptions { Tournament = 1 }, "Tournament", "[2, 64]" },
        { new PathNetEvolutionOptions { Population = 8, Tournament = 9 }, "Tournament", "[2, 8]" },
        { new PathNetEvolutionOptions { MutationProbability = -0.01 }, "MutationProbability", "[0, 1]" },
        { new PathNetEvolutionOptions { MutationProbability = 1.5 }, "MutationProbability", "[0, 1]" },
        { new PathNetEvolutionOptions { MutationProbability = double.NaN }, "MutationProbability", "[0, 1]" },
        { new PathNetEvolutionOptions { MutationShift = -1 }, "MutationShift", "at least 0" },
        { new PathNetEvolutionOptions { StepsPerEvaluation = 0 }, "StepsPerEvaluation", "at least 1" },
        { new PathNetEvolutionOptions { Fitness = (PathwayFitness)7 }, "Fitness", "Return or Success" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void ValidateNamesTheSettingAndItsRange(PathNetEvolutionOptions options, string name, string range)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(name, error.ParamName);
        Assert.Contains(range, error.Message, StringComparison.Ordinal);
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(() => Make(options)).ParamName);
    }

    [Fact]
    public void ValidOptionsPass()
    {
        new PathNetEvolutionOptions().Validate();
        new PathNetEvolutionOptions { Population = 2, Tournament = 2, MutationProbability = 0, MutationShift = 0, StepsPerEvaluation = 1, Fitness = PathwayFitness.Success }.Validate();
        new PathNetEvolutionOptions { Population = 5, Tournament = 5, MutationProbability = 1 }.Validate();
    }

    [Theory]
    [InlineData(0, 10, 3, "layers", "at least 1")]
    [InlineData(2, 0, 1, "modules", "at least 1")]
    [InlineData(2, 10, 0, "active", "[1, 10]")]
    [InlineData(2, 10, 11, "active", "[1, 10]")]
    public void ConstructorNamesABadSize(int layers, int modules, int active, string name, string range)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PathwayEvolution(layers, modules, active, new PathNetEvolutionOptions(), 1, 2));
        Assert.Equal(name, error.ParamName);
        Assert.Contains(range, error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Runs alone so allocations by other tests cannot blur the measurement.</summary>
[CollectionDefinition(nameof(PathwayEvolutionAllocationSensitive), DisableParallelization = true)]
public sealed class PathwayEvolutionAllocationSensitive
{
}

[Collection(nameof(PathwayEvolutionAllocationSensitive))]
public sealed class PathwayEvolutionAllocationTests
{
    [Fact]
    public void ReportAllocatesNothing()
    {
        var evolution = new PathwayEvolution(4, 10, 3, new PathNetEvolutionOptions { Population = 64, Tournament = 5, MutationProbability = 0.5 }, 3, 9);
        for (var step = 0; step < 50; step++) evolution.Report(step % 3);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var step = 0; step < 5_000; step++)
        {
            evolution.Report(step % 11 == 0 ? double.NaN : step % 13);
            _ = evolution.Current;
            _ = evolution.Contestants;
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1010, evolution.Tournaments);
    }
}
