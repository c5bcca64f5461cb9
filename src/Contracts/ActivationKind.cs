namespace Mtrl.Contracts;

/// <summary>Nonlinearities between layers.</summary>
public enum ActivationKind
{
    /// <summary>Identity.</summary>
    None = 0,

    /// <summary>max(0, x).</summary>
    Relu = 1,

    /// <summary>tanh(x).</summary>
    Tanh = 2,

    /// <summary>x if x &gt; 0 else exp(x) − 1.</summary>
    Elu = 3,

    /// <summary>GELU, tanh approximation.</summary>
    Gelu = 4,

    /// <summary>x if x &gt; 0 else 0.01·x.</summary>
    LeakyRelu = 5,
}
