using System;
using Mtrl.Kernels;

namespace Mtrl.Cli;

/// <summary>
/// <c>--precision</c> of <c>mtrl train</c> and <c>mtrl bench</c>: fp32 (the default) or bf16, the
/// opt-in BF16 matrix products of <see cref="GemmBackend.Bfloat16"/>.
/// </summary>
internal static class MatrixPrecision
{
    public const string Float32 = "fp32";
    public const string Bfloat16 = "bf16";

    /// <summary>The option's description, shared by both commands.</summary>
    public const string Description =
        "Matrix products: fp32 (default) or bf16 — operands rounded to bfloat16, float32 accumulation, "
        + "about 1.5× faster products on CPUs with AVX512_BF16; parameters and optimizer stay float32.";

    /// <summary>The back end a valid name stands for.</summary>
    public static GemmBackend Backend(string? name) => name == Bfloat16 ? GemmBackend.Bfloat16 : GemmBackend.Auto;

    /// <summary>The name a back end is written as (run.json records the back end itself).</summary>
    public static string Name(GemmBackend backend) => backend == GemmBackend.Bfloat16 ? Bfloat16 : Float32;

    /// <summary>One line saying what is wrong with <paramref name="name"/>: unknown, or bf16 where it cannot run; null when it can be used.</summary>
    public static string? Check(string? name)
    {
        if (name is null or Float32) return null;
        if (name != Bfloat16) return $"--precision must be {Float32} or {Bfloat16}; found '{name}'";
        return Gemm.Bfloat16Unavailable is { } reason ? $"--precision {Bfloat16} cannot run here: {reason}" : null;
    }
}
