namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// The tanh-Gaussian head's scalars as one blittable kernel argument. The constants are computed
/// on the host with the CPU head's expressions (½·ln 2π, ln 2, ½·(hi − lo)) so the device uses the
/// same float values whatever its own log function returns.
/// </summary>
/// <param name="Actions">Action dimensions d (the readout is 2d wide).</param>
/// <param name="LogStdMin">Lower log-std bound lo.</param>
/// <param name="HalfRange">½·(hi − lo).</param>
/// <param name="HalfLogTwoPi">½·ln 2π as the CPU head's float.</param>
/// <param name="LogTwo">ln 2 as the CPU head's float.</param>
internal readonly record struct DeviceTanhGaussianSettings(int Actions, float LogStdMin, float HalfRange, float HalfLogTwoPi, float LogTwo);
