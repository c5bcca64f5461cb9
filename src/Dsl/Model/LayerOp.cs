using Mtrl.Contracts;

namespace Mtrl.Dsl.Model;

/// <summary>How a mixture of experts weighs its experts.</summary>
public enum GateKind
{
    /// <summary>Task t uses expert t only (experts = tasks); no parameters.</summary>
    PerTask,
    /// <summary>Plain mean of all experts; no parameters.</summary>
    Ensemble,
    /// <summary>softmax of a learned gate, keeping the k largest weights, renormalised.</summary>
    TopK,
    /// <summary>softmax(gate(task) / temperature) over all experts.</summary>
    Attention,
}

/// <summary>How the last layer of soft-modular modules is reduced to one output.</summary>
public enum SoftModularMix
{
    /// <summary>Mean of the last layer's module outputs (mtrl).</summary>
    Mean,
    /// <summary>Weighted by a learned, routed gate (Soft-Module's ModularGatedCascadeCondNet).</summary>
    Gated,
}

/// <summary>Which reference implementation a soft-modular node's forward pass follows (docs/language.md).</summary>
public enum SoftModularStyle
{
    /// <summary>
    /// Yang et al. 2020 as RchalYang/Soft-Module's ModularGatedCascadeCondNet computes it: each routing
    /// layer and the final gate condition on all earlier layers' probabilities, modules are affine and
    /// the ReLU follows each mix. The default.
    /// </summary>
    SoftModule,
    /// <summary>
    /// facebookresearch/mtrl's cascade (each routing layer reads the previous layer's probabilities
    /// only), modules affine + ReLU before mixing, with an optional Soft-Module gate on the output.
    /// </summary>
    Mtrl,
}

/// <summary>What a node computes and with which settings (every default already applied).</summary>
public abstract record LayerOp
{
    /// <summary>The spec's name of the operation (<c>mlp</c>, <c>gaussian</c>…).</summary>
    public abstract string Kind { get; }

    /// <summary>True for output heads, which end a network.</summary>
    public virtual bool IsHead => false;
}

/// <summary><c>onehot(task)</c>: the task id as a one-hot vector of width <see cref="Tasks"/>.</summary>
public sealed record OneHotOp(int Tasks) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "onehot";
}

/// <summary><c>embedding(task, dim)</c>: a learned table, one row per task.</summary>
public sealed record EmbeddingOp(int Tasks, int Dim) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "embedding";
}

/// <summary><c>linear(x, width)</c>: one affine layer with an optional activation.</summary>
public sealed record LinearOp(int Width, ActivationKind Activation) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "linear";
}

/// <summary>
/// <c>mlp(x, widths)</c>: affine layers, each followed by optional layer norm, optional FiLM
/// (γ, β from the film input) and the activation.
/// </summary>
public sealed record MlpOp(EquatableArray<int> Widths, ActivationKind Activation, bool LayerNorm, bool Film) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "mlp";
}

/// <summary><c>concat(a, b, …)</c>: features side by side.</summary>
public sealed record ConcatOp(int Count) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "concat";
}

/// <summary><c>film(x, by)</c>: γ(by) ⊙ x + β(by) with γ, β from one affine layer.</summary>
public sealed record FilmOp : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "film";
}

/// <summary><c>detach(x)</c>: the value passes forward; no gradient flows back through it.</summary>
public sealed record DetachOp : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "detach";
}

/// <summary><c>heads(x, widths)</c>: one MLP per task; each sample goes through its task's.</summary>
public sealed record HeadsOp(int Tasks, EquatableArray<int> Widths, ActivationKind Activation) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "heads";
}

/// <summary>
/// <c>moe(x, experts, widths, gate)</c>: Σ_e w_e · expert_e(x). The gate reads the
/// <c>by</c> input (default one-hot task); <see cref="GateWidths"/> are its hidden layers.
/// </summary>
public sealed record MoeOp(
    int Experts,
    EquatableArray<int> Widths,
    ActivationKind Activation,
    GateKind Gate,
    int TopK,
    double Temperature,
    EquatableArray<int> GateWidths) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "moe";
}

/// <summary>
/// <c>soft_modular(x, by)</c>: <see cref="Layers"/> layers of <see cref="Modules"/> modules of
/// width <see cref="Width"/>, mixed between layers by routing probabilities computed from
/// x ⊙ by, following the reference <see cref="Style"/> names (see docs/language.md for both exact
/// definitions).
/// </summary>
public sealed record SoftModularOp(int Layers, int Modules, int Width, int RoutingWidth, SoftModularMix Mix, SoftModularStyle Style) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "soft_modular";
}

/// <summary>
/// <c>progressive(x, widths)</c>: one column per task; column k's layer i also reads all
/// earlier columns' layer i−1 through a lateral adapter α, V (down to <see cref="Reduction"/>), U.
/// </summary>
public sealed record ProgressiveOp(int Columns, EquatableArray<int> Widths, ActivationKind Activation, int Reduction, double AlphaInit) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "progressive";
}

/// <summary>
/// <c>pathnet(x)</c>: <see cref="Layers"/> × <see cref="Modules"/> modules; a pathway picks at
/// most <see cref="Active"/> per layer, whose outputs are summed.
/// </summary>
public sealed record PathNetOp(int Layers, int Modules, int Active, int Width, ActivationKind Activation) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "pathnet";
}

/// <summary>
/// <c>features(x)</c>: a network's second output, the features Actor-Mimic's feature regression
/// (Parisotto et al. 2015, Eq. 3) compares: x itself (<see cref="Affine"/> false; a teacher's
/// h_E(s), <see cref="Width"/> = x's width), or an affine predictor of x with <see cref="Width"/>
/// outputs, shared or one per task (the student's f_i). It ends no schedule: the network's output
/// head stays its output, and the generator builds the features as a companion network.
/// </summary>
public sealed record FeaturesOp(int Width, bool Affine, bool PerTask) : LayerOp
{
    /// <inheritdoc />
    public override string Kind => "features";

    /// <summary>An output: nothing may read it.</summary>
    public override bool IsHead => true;
}

/// <summary>Base of output heads: an affine readout, shared or one per task.</summary>
public abstract record HeadOp(bool PerTask) : LayerOp
{
    /// <inheritdoc />
    public override bool IsHead => true;

    /// <summary>Width of the affine readout (the head's parameters).</summary>
    public abstract int ReadoutWidth { get; }
}

/// <summary>Tanh-squashed Gaussian policy: mean and log-std (clamped to the bounds) per action dimension.</summary>
public sealed record GaussianOp(int ActionSize, double LogStdMin, double LogStdMax, bool PerTask) : HeadOp(PerTask)
{
    /// <inheritdoc />
    public override string Kind => "gaussian";

    /// <inheritdoc />
    public override int ReadoutWidth => 2 * ActionSize;
}

/// <summary>Categorical policy over discrete actions (logits).</summary>
public sealed record CategoricalOp(int Actions, bool PerTask) : HeadOp(PerTask)
{
    /// <inheritdoc />
    public override string Kind => "categorical";

    /// <inheritdoc />
    public override int ReadoutWidth => Actions;
}

/// <summary>Deterministic tanh-bounded action (TD3's actor).</summary>
public sealed record DeterministicOp(int ActionSize, bool PerTask) : HeadOp(PerTask)
{
    /// <inheritdoc />
    public override string Kind => "deterministic";

    /// <inheritdoc />
    public override int ReadoutWidth => ActionSize;
}

/// <summary>Q values: one per discrete action, or Q(s, a) (width 1) for continuous actions.</summary>
public sealed record QValuesOp(int Outputs, bool PerTask) : HeadOp(PerTask)
{
    /// <inheritdoc />
    public override string Kind => "q_values";

    /// <inheritdoc />
    public override int ReadoutWidth => Outputs;
}

/// <summary>State value V(s).</summary>
public sealed record ValueOp(bool PerTask) : HeadOp(PerTask)
{
    /// <inheritdoc />
    public override string Kind => "value";

    /// <inheritdoc />
    public override int ReadoutWidth => 1;
}
