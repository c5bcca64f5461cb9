namespace Mtrl.Cli.Devices;

/// <summary>
/// A trainer whose replay lives on a device: its <c>Replay</c> is not the data it learns from, so
/// checkpoints are written without a replay file, and the run cannot be resumed. No ILGPU types,
/// so the CPU path can test for it without loading the device back end.
/// </summary>
internal interface IDeviceResidentTrainer
{
    /// <summary>The device it trains on, e.g. "ilgpu-cpu: CPUAccelerator".</summary>
    string DeviceDescription { get; }
}
