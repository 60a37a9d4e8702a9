using Baton.Messages;

namespace Baton.Processes.Internal;

/// <summary>Code shipping, the pool's side: a remote worker's FETCH is answered with the assembly file and its SHA-256.</summary>
internal sealed partial class PoolDispatcher
{
    /// <summary>Answers a worker's FETCH (on the loop): a refusal at once, or the parcel once it is read, off the loop.</summary>
    private void Ship(WorkerState worker, long requestId, string assemblyName)
    {
        if (!_shipsCode)
        {
            var reason = !_options.ShipAssemblies
                ? "the pool does not ship code (ProcessPoolOptions.ShipAssemblies is false)"
                : "the pool ships code only over CURVE: give the pool ProcessPoolOptions.Security = SocketSecurity.CurveServer(its secret key), and the worker --curve-client SECRETKEYFILE --curve-serverkey POOLKEY";
            Send(worker, PoolProtocol.Header(PoolProtocol.AssemblyUnavailable, requestId), PoolProtocol.Text(reason), Frame.Empty, withExtras: true);
            return;
        }

        _ = ShipAsync(worker.Address, requestId, assemblyName);
    }

    /// <summary>
    /// Reads (once) and sends one assembly: the file is read and hashed on the thread pool, and the send only
    /// queues on the worker's own pipe, so a big assembly holds up neither the loop nor other workers.
    /// </summary>
    private async Task ShipAsync(Frame address, long requestId, string assemblyName)
    {
        var parcel = await _shipper.GetAsync(assemblyName).ConfigureAwait(false);
        Message message;
        if (parcel.Refusal is { } refusal)
        {
            message = new Message(address, PoolProtocol.Header(PoolProtocol.AssemblyUnavailable, requestId));
            message.Append(PoolProtocol.Text(refusal));
        }
        else
        {
            var hash = parcel.Hash;
            if (_options.CorruptShippedHashes)
            {
                hash = (byte[])hash.Clone();
                hash[0] ^= 0xFF;
            }

            message = new Message(address, PoolProtocol.Header(PoolProtocol.Assembly, requestId));
            message.Append(new Frame(hash));
            message.Append(new Frame(parcel.Bytes)); // shared, never written: wrapped, not copied
        }

        try
        {
            _remote!.TrySend(message, TimeSpan.Zero);
        }
        catch (ObjectDisposedException)
        {
            // the pool shut down meanwhile
        }
        finally
        {
            message.Dispose();
        }
    }
}
