namespace Mtrl.Generators.Planning;

/// <summary>
/// The plan of one module block (PathNet grid, mixture of experts, soft modularization,
/// progressive columns): every decision its forward and backward schedules need, one record per
/// kind, so the emitter prints the block's loops without deciding anything.
/// </summary>
internal abstract record BlockPlan(string Node);
