using System;

namespace Mtrl.Runs.Metrics;

/// <summary>A file format metrics go to. Each <see cref="Write"/> reaches the disk before it returns, so a killed run loses nothing it reported.</summary>
public interface IMetricsWriter : IDisposable
{
    /// <summary>Appends the records of one log point or evaluation.</summary>
    void Write(System.Collections.Generic.IReadOnlyList<MetricRecord> records);
}
