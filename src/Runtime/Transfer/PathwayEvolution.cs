using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Transfer;

/// <summary>
/// PathNet's tournament evolution of pathways (Fernando et al. 2017, arXiv:1701.08734), on its
/// own: a population of genotypes, each L·N genes naming the N modules (of M) a pathway uses in
/// each of L layers. Contestants are drawn without replacement and evaluated one after another
/// (the caller trains <see cref="Current"/>'s pathway and reports its fitness); after the last,
/// the winner's genotype overwrites every other contestant's and each copy is mutated — every
/// gene with probability <see cref="MutationProbability"/> moves by a uniform integer in
/// [−shift, shift] modulo M. It knows nothing of networks or trainers.
/// </summary>
/// <remarks>
/// <para>
/// Randomness comes only from <see cref="Philox4x32.Generate"/>(seed, stream, counter), the
/// counter advancing by one per block consumed, so the state is a function of (seed, stream)
/// and the sequence of <see cref="Report"/> calls, and a restored evolution continues
/// bit-identically. Integers in [0, n) use Lemire's multiply-shift with rejection on one 32-bit
/// word (exactly unbiased): a block's words are tried in order X0, X1, X2, X3 and, in the
/// (≤ n/2^32 per word) case that all are rejected, the next block's words continue.
/// </para>
/// <para>Draw order, counter starting at 0:</para>
/// <list type="number">
/// <item>Initial genotypes: pathway 0 … P−1, in each gene 0 … L·N−1 (layer-major, gene l·N + a):
/// one block, the gene uniform in [0, M) from X0 on.</item>
/// <item>Each tournament's contestants (after the genotypes, and after every completed
/// tournament's mutations): for k = 0 … T−1 one block, j = k + uniform [0, P − k) from X0 on,
/// then a swap of positions k and j of the identity permutation of 0 … P−1 (a partial
/// Fisher–Yates shuffle); contestant k is position k.</item>
/// <item>Mutation after a tournament: each loser in <see cref="Contestants"/> order, each of its
/// genes in layer-major order: one block; the 64 bits X1:X0 give u = ⌊x / 2^11⌋·2^−53 in [0, 1) and
/// the gene mutates iff u &lt; p; a mutating gene's shift is uniform [0, 2s+1) − s from X2 on.</item>
/// </list>
/// <para>Nothing in <see cref="Report"/> allocates: every buffer is made by the constructor.</para>
/// </remarks>
public sealed class PathwayEvolution
{
    private const double Epsilon53 = 1.0 / (1UL << 53);

    private readonly ulong _seed;
    private readonly ulong _stream;
    private readonly int _genesPerPathway;
    private readonly int[] _genes;
    private readonly double[] _fitness;
    private readonly int[] _contestants;
    private readonly int[] _order;
    private readonly int[] _swaps;
    private int _position;
    private long _tournaments;
    private int _lastWinner = -1;
    private ulong _counter;

    /// <summary>Draws the initial population (every gene uniform in [0, M), as in the paper) and the first tournament.</summary>
    /// <param name="layers">Layers L of the PathNet grid; at least 1.</param>
    /// <param name="modules">Modules M per layer; at least 1.</param>
    /// <param name="active">Genes N per layer of a pathway, in [1, M] (after mutation genes can coincide, so a pathway uses at most N).</param>
    /// <param name="options">Population, tournament and mutation settings.</param>
    /// <param name="seed">Philox key.</param>
    /// <param name="stream">Philox stream of this evolution (one per task trained in sequence, for example).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or a setting is out of range; the exception names it.</exception>
    /// <exception cref="ArgumentException">The population's genes do not fit one array.</exception>
    public PathwayEvolution(int layers, int modules, int active, PathNetEvolutionOptions options, ulong seed, ulong stream)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "must be at least 1");
        if (modules < 1) throw new ArgumentOutOfRangeException(nameof(modules), modules, "must be at least 1");
        if (active < 1 || active > modules) throw new ArgumentOutOfRangeException(nameof(active), active, $"must be in [1, modules] = [1, {modules}]");
        options.Validate();
        var genesPerPathway = (long)layers * active;
        if (genesPerPathway * options.Population > Array.MaxLength)
        {
            throw new ArgumentException($"population × layers × active = {genesPerPathway * options.Population} genes do not fit one array (at most {Array.MaxLength})", nameof(options));
        }

        Layers = layers;
        Modules = modules;
        Active = active;
        Options = options;
        MutationProbability = options.MutationProbability ?? 1.0 / genesPerPathway;
        _seed = seed;
        _stream = stream;
        _genesPerPathway = (int)genesPerPathway;
        _genes = new int[_genesPerPathway * options.Population];
        _fitness = new double[options.Population];
        _contestants = new int[options.Tournament];
        _order = new int[options.Population];
        _swaps = new int[options.Tournament];
        _fitness.AsSpan().Fill(double.NaN);
        for (var i = 0; i < _order.Length; i++) _order[i] = i;
        for (var g = 0; g < _genes.Length; g++) _genes[g] = (int)Bounded((uint)modules, NextBlock(), 0);
        DrawContestants();
    }

    /// <summary>Layers L.</summary>
    public int Layers { get; }

    /// <summary>Modules M per layer.</summary>
    public int Modules { get; }

    /// <summary>Genes N per layer of a genotype.</summary>
    public int Active { get; }

    /// <summary>The settings.</summary>
    public PathNetEvolutionOptions Options { get; }

    /// <summary>Probability that a gene of a copy mutates: the option, or 1/(L·N) when it is null.</summary>
    public double MutationProbability { get; }

    /// <summary>Genotypes in the population.</summary>
    public int Population => Options.Population;

    /// <summary>Indices into the population of the running tournament's contestants, in the order they are evaluated (distinct, drawn uniformly without replacement).</summary>
    public ReadOnlySpan<int> Contestants => _contestants;

    /// <summary>Where <see cref="Current"/> stands in <see cref="Contestants"/>: 0 for a tournament's first contestant.</summary>
    public int Position => _position;

    /// <summary>The contestant whose fitness <see cref="Report"/> expects next (an element of <see cref="Contestants"/>).</summary>
    public int Current => _contestants[_position];

    /// <summary>Tournaments completed.</summary>
    public long Tournaments => _tournaments;

    /// <summary>
    /// The population index with the highest recorded fitness (NaN ignored; ties → the lowest
    /// index); 0 if no genotype has a fitness. Used to pick the pathway to keep after a task.
    /// </summary>
    public int Best
    {
        get
        {
            var best = 0;
            var bestFitness = double.NaN;
            for (var i = 0; i < _fitness.Length; i++)
            {
                if (_fitness[i] > bestFitness || (double.IsNaN(bestFitness) && !double.IsNaN(_fitness[i])))
                {
                    best = i;
                    bestFitness = _fitness[i];
                }
            }
            return best;
        }
    }

    /// <summary>
    /// The winner of the latest completed tournament (<see cref="Best"/> before the first): the
    /// genotype whose fitness was measured last, closest to the shared modules as they are now.
    /// </summary>
    public int LastWinner => _lastWinner < 0 ? Best : _lastWinner;

    /// <summary>The L·N genes of genotype <paramref name="index"/>, layer-major (gene l·N + a), each in [0, M).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, P).</exception>
    public ReadOnlySpan<int> Genotype(int index)
    {
        CheckIndex(index);
        return _genes.AsSpan(index * _genesPerPathway, _genesPerPathway);
    }

    /// <summary>The fitness last reported for genotype <paramref name="index"/>; NaN if it was never evaluated or has been overwritten by a copy since.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, P).</exception>
    public double Fitness(int index)
    {
        CheckIndex(index);
        return _fitness[index];
    }

    /// <summary>
    /// Records the fitness of <see cref="Current"/> and moves to the next contestant. After the
    /// last one the tournament ends: the winner is the contestant with the highest fitness (ties →
    /// the earliest in <see cref="Contestants"/>; NaN loses to any number, so with all NaN the
    /// first wins); its genotype is copied over every other contestant, whose fitness becomes NaN,
    /// each copy is mutated, and the next tournament's contestants are drawn.
    /// </summary>
    /// <param name="fitness">Any value; NaN (nothing measured) loses to every number.</param>
    public void Report(double fitness)
    {
        _fitness[_contestants[_position]] = fitness;
        if (++_position < _contestants.Length) return;

        var winner = _contestants[0];
        var winnerFitness = _fitness[winner];
        for (var k = 1; k < _contestants.Length; k++)
        {
            var f = _fitness[_contestants[k]];
            if (f > winnerFitness || (double.IsNaN(winnerFitness) && !double.IsNaN(f)))
            {
                winner = _contestants[k];
                winnerFitness = f;
            }
        }

        var source = _genes.AsSpan(winner * _genesPerPathway, _genesPerPathway);
        foreach (var loser in _contestants)
        {
            if (loser == winner) continue;
            var copy = _genes.AsSpan(loser * _genesPerPathway, _genesPerPathway);
            source.CopyTo(copy);
            _fitness[loser] = double.NaN;
            Mutate(copy);
        }

        _lastWinner = winner;
        _tournaments++;
        _position = 0;
        DrawContestants();
    }

    /// <summary>
    /// Writes the distinct modules of layer <paramref name="layer"/> of genotype
    /// <paramref name="index"/> into <paramref name="destination"/> in ascending order and returns
    /// their count (1 … N): genes can coincide after mutation, and a pathway uses the distinct set.
    /// </summary>
    /// <param name="index">Genotype in [0, P).</param>
    /// <param name="layer">Layer in [0, L).</param>
    /// <param name="destination">At least N elements; the first (returned count) are written.</param>
    /// <exception cref="ArgumentOutOfRangeException">The index or the layer is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than N.</exception>
    public int LayerModules(int index, int layer, Span<int> destination)
    {
        CheckIndex(index);
        if ((uint)layer >= (uint)Layers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"must be in [0, layers) = [0, {Layers})");
        if (destination.Length < Active) throw new ArgumentException($"needs room for {Active} modules (active), has {destination.Length}", nameof(destination));

        var genes = _genes.AsSpan(index * _genesPerPathway + layer * Active, Active);
        var count = 0;
        foreach (var gene in genes)
        {
            // Insertion into the sorted prefix, skipping a module already there.
            var at = count;
            while (at > 0 && destination[at - 1] > gene) at--;
            if (at > 0 && destination[at - 1] == gene) continue;
            for (var k = count; k > at; k--) destination[k] = destination[k - 1];
            destination[at] = gene;
            count++;
        }
        return count;
    }

    /// <summary>
    /// Writes the whole state under <paramref name="prefix"/>: integer sections <c>shape</c>
    /// (L, M, N, P, T), <c>genes</c>, <c>fitness</c> (IEEE bits) and <c>contestants</c>, and
    /// counters <c>position</c>, <c>tournaments</c>, <c>last_winner</c> (−1 before the first
    /// tournament ends) and <c>counter</c> (the Philox counter).
    /// </summary>
    public void Save(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(prefix);
        checkpoint.Integers[prefix + "shape"] = [Layers, Modules, Active, Population, _contestants.Length];
        checkpoint.Integers[prefix + "genes"] = Array.ConvertAll(_genes, g => (long)g);
        checkpoint.Integers[prefix + "fitness"] = Array.ConvertAll(_fitness, BitConverter.DoubleToInt64Bits);
        checkpoint.Integers[prefix + "contestants"] = Array.ConvertAll(_contestants, c => (long)c);
        checkpoint.Counters[prefix + "position"] = _position;
        checkpoint.Counters[prefix + "tournaments"] = _tournaments;
        checkpoint.Counters[prefix + "last_winner"] = _lastWinner;
        checkpoint.Counters[prefix + "counter"] = unchecked((long)_counter);
    }

    /// <summary>Restores what <see cref="Save"/> wrote under <paramref name="prefix"/>; nothing changes unless all of it is valid.</summary>
    /// <exception cref="CheckpointException">
    /// A section or counter is missing, was saved for another shape (layers, modules, active,
    /// population, tournament), or holds a value out of range (a gene outside [0, M), a contestant
    /// outside [0, P) or repeated, a position outside [0, T), a negative tournament count).
    /// </exception>
    public void Restore(Checkpoint checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(prefix);
        var shape = checkpoint.RequireIntegers(prefix + "shape", 5);
        if (shape[0] != Layers || shape[1] != Modules || shape[2] != Active || shape[3] != Population || shape[4] != _contestants.Length)
        {
            throw new CheckpointException($"section '{prefix}shape' is (layers {shape[0]}, modules {shape[1]}, active {shape[2]}, population {shape[3]}, tournament {shape[4]}); " +
                $"this evolution has (layers {Layers}, modules {Modules}, active {Active}, population {Population}, tournament {_contestants.Length})");
        }
        var genes = checkpoint.RequireIntegers(prefix + "genes", _genes.Length);
        var fitness = checkpoint.RequireIntegers(prefix + "fitness", _fitness.Length);
        var contestants = checkpoint.RequireIntegers(prefix + "contestants", _contestants.Length);
        var position = checkpoint.Counter(prefix + "position");
        var tournaments = checkpoint.Counter(prefix + "tournaments");
        // Checkpoints written before last_winner existed: no tournament winner is known.
        var lastWinner = checkpoint.Counters.TryGetValue(prefix + "last_winner", out var saved) ? saved : -1;
        var counter = checkpoint.Counter(prefix + "counter");

        for (var g = 0; g < genes.Length; g++)
        {
            if (genes[g] < 0 || genes[g] >= Modules)
            {
                throw new CheckpointException($"section '{prefix}genes' holds module {genes[g]} at gene {g}, outside [0, {Modules})");
            }
        }
        var seen = new bool[Population];
        for (var k = 0; k < contestants.Length; k++)
        {
            var c = contestants[k];
            if (c < 0 || c >= Population) throw new CheckpointException($"section '{prefix}contestants' holds {c} at {k}, outside [0, {Population})");
            if (seen[c]) throw new CheckpointException($"section '{prefix}contestants' holds {c} twice");
            seen[c] = true;
        }
        if (position < 0 || position >= _contestants.Length)
        {
            throw new CheckpointException($"counter '{prefix}position' is {position}, outside [0, {_contestants.Length})");
        }
        if (tournaments < 0) throw new CheckpointException($"counter '{prefix}tournaments' is {tournaments}, negative");
        if (lastWinner < -1 || lastWinner >= Population)
        {
            throw new CheckpointException($"counter '{prefix}last_winner' is {lastWinner}, outside [-1, {Population})");
        }

        for (var g = 0; g < genes.Length; g++) _genes[g] = (int)genes[g];
        for (var i = 0; i < fitness.Length; i++) _fitness[i] = BitConverter.Int64BitsToDouble(fitness[i]);
        for (var k = 0; k < contestants.Length; k++) _contestants[k] = (int)contestants[k];
        _position = (int)position;
        _tournaments = tournaments;
        _lastWinner = (int)lastWinner;
        _counter = unchecked((ulong)counter);
    }

    /// <summary>Mutates each gene of one copy with probability p by a uniform shift in [−s, s] modulo M (draw order in the class remarks).</summary>
    private void Mutate(Span<int> genes)
    {
        var shift = Options.MutationShift;
        var shifts = (uint)(2L * shift + 1);
        for (var g = 0; g < genes.Length; g++)
        {
            var block = NextBlock();
            var bits = ((ulong)block.X1 << 32) | block.X0;
            if ((bits >> 11) * Epsilon53 >= MutationProbability) continue;
            var moved = (genes[g] + (long)Bounded(shifts, block, 2) - shift) % Modules;
            genes[g] = (int)(moved < 0 ? moved + Modules : moved);
        }
    }

    /// <summary>Draws the next tournament's T contestants by a partial Fisher–Yates shuffle of the identity permutation, then undoes the swaps so it stays the identity.</summary>
    private void DrawContestants()
    {
        var population = _order.Length;
        for (var k = 0; k < _contestants.Length; k++)
        {
            var j = k + (int)Bounded((uint)(population - k), NextBlock(), 0);
            _swaps[k] = j;
            (_order[k], _order[j]) = (_order[j], _order[k]);
            _contestants[k] = _order[k];
        }
        for (var k = _contestants.Length - 1; k >= 0; k--)
        {
            var j = _swaps[k];
            (_order[k], _order[j]) = (_order[j], _order[k]);
        }
    }

    private PhiloxBlock NextBlock() => Philox4x32.Generate(_seed, _stream, _counter++);

    /// <summary>Uniform integer in [0, <paramref name="n"/>) from the words of <paramref name="block"/> starting at <paramref name="word"/>, continuing into new blocks while every word is rejected.</summary>
    private uint Bounded(uint n, PhiloxBlock block, int word)
    {
        while (true)
        {
            for (; word < 4; word++)
            {
                // Lemire (2019): ⌊x·n / 2^32⌋, rejecting the 2^32 mod n values of the low word that would bias it.
                var product = (ulong)block[word] * n;
                var low = (uint)product;
                if (low < n && low < (0u - n) % n) continue;
                return (uint)(product >> 32);
            }
            block = NextBlock();
            word = 0;
        }
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)_fitness.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"must be in [0, population) = [0, {_fitness.Length})");
        }
    }
}
