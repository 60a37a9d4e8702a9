namespace Baton.Transports;

/// <summary>The transports an endpoint can name.</summary>
internal enum TransportKind
{
    Tcp,
    Ipc,
    Inproc,
}
