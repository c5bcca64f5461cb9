using Mtrl.Dsl.Semantics;

namespace Mtrl.Generators.Planning;

/// <summary>
/// Names of the fields a node's workspaces and layers live in. A camel name holds no '_' after
/// its first character, so the '_' before a role keeps every node's fields apart from every other
/// node's (GeneratedNames).
/// </summary>
internal static class FieldNames
{
    /// <summary>The field of a node's value (<c>_h</c>), or of the part <paramref name="role"/> of it (<c>_h_fc0</c>).</summary>
    public static string Field(string node, string role = "") =>
        role.Length == 0 ? "_" + GeneratedNames.Camel(node) : "_" + GeneratedNames.Camel(node) + "_" + LowerFirst(role);

    /// <summary>The gradient of a node's value (<c>_h_grad</c>) or of one of its parts (<c>_h_fc0Grad</c>).</summary>
    public static string GradientField(string node, string role = "") =>
        role.Length == 0 ? "_" + GeneratedNames.Camel(node) + "_grad" : "_" + GeneratedNames.Camel(node) + "_" + LowerFirst(role) + "Grad";

    /// <summary>The field an agent input is copied to.</summary>
    public static string Input(string input) => "_" + GeneratedNames.Camel(input);

    /// <summary>Task ids of the batch.</summary>
    public const string TaskIds = "_taskIds";

    /// <summary>The batch's rows grouped by task.</summary>
    public const string Tasks = "_tasks";

    /// <summary>The critic's action input.</summary>
    public const string ActionInput = "_action";

    /// <summary>∂L/∂action.</summary>
    public const string ActionGradient = "_dAction";

    /// <summary>The parameter store (networks that freeze slices).</summary>
    public const string Store = "_store";

    /// <summary>Scratch for gradients several consumers add into.</summary>
    public const string Scratch = "_scratch";

    /// <summary>A second scratch buffer, when both inputs of one FiLM sum gradients.</summary>
    public const string SecondScratch = "_scratchB";

    /// <summary>Progressive networks' count of active columns.</summary>
    public const string ActiveColumns = "_activeColumns";

    /// <summary>Backward's parameter: ∂L/∂output.</summary>
    public const string OutputGradient = "outputGradient";

    private static string LowerFirst(string role) => char.ToLowerInvariant(role[0]) + role.Substring(1);
}
