using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Mtrl.Cli;

/// <summary>
/// Turns SIGINT (Ctrl+C) and SIGTERM (a scheduler or <c>kill</c>) into a cancellation the training
/// loop sees at its next vector step, instead of the runtime ending the process on the spot: the
/// run then writes its checkpoint and exits cleanly, and <c>--resume</c> continues it.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration?[] _registrations;

    private StopSignals(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _registrations = new[] { Register(PosixSignal.SIGINT), Register(PosixSignal.SIGTERM) };
    }

    /// <summary>Cancelled by either signal or by the outer token.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Starts listening; dispose to give the signals back to the runtime.</summary>
    public static StopSignals Listen(CancellationToken outer) => new(outer);

    private PosixSignalRegistration? Register(PosixSignal signal)
    {
        try
        {
            return PosixSignalRegistration.Create(signal, context =>
            {
                // A second signal while stopping ends the process the usual way.
                if (_source.IsCancellationRequested) return;
                context.Cancel = true;
                _source.Cancel();
            });
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration?.Dispose();
        _source.Dispose();
    }
}
