namespace Mtrl.Runtime.Layers;

// Conventions shared by every layer in this folder:
// - Activations are batch-major row-major spans: [batch, width].
// - Layers hold parameter slices, not activations: Forward and Backward receive the spans they
//   need, so a network (or generated code) owns all workspaces and a pass allocates nothing.
// - Backward OVERWRITES input gradients and ACCUMULATES parameter gradients into the store.
//   Where one value feeds several consumers, the schedule sums the consumers' input gradients.
//   An empty input-gradient span means "not needed" (e.g. for a network input) and is skipped.
