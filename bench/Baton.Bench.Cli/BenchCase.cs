namespace Baton.Bench.Cli;

/// <summary>
/// One peer of a test: the driver of the measuring (bound) end and the driver of the other end, which
/// runs in a child process for ipc and tcp and on a thread for inproc.
/// </summary>
internal sealed record BenchCase(string Label, Driver Local, Driver Remote)
{
    /// <summary>The peers that <c>--peer</c> selects for a transport, in table order.</summary>
    public static List<BenchCase> For(string kind, string peer, string transport, bool libzmqAvailable, CurveKeys? curve = null)
    {
        var baton = new BatonDriver { Curve = curve };
        var batonMessage = new BatonMessageDriver { Curve = curve };
        var cases = new List<BenchCase>();
        var all = peer == "all";
        if (all || peer == "baton")
        {
            cases.Add(new("baton", baton, baton));
        }

        if (all || peer == "baton" || peer == "baton-message")
        {
            cases.Add(new("baton-message", batonMessage, batonMessage));
        }

        if ((all || peer == "libzmq") && libzmqAvailable)
        {
            var libzmq = new LibzmqDriver { Curve = curve };
            cases.Add(new("libzmq", libzmq, libzmq));
            if (transport != "inproc")
            {
                // Mixed on the wire, named "requester→replier" or "sender→receiver".
                var latency = kind == "latency";
                cases.Add(new("baton→libzmq", latency ? baton : libzmq, latency ? libzmq : baton));
                cases.Add(new("libzmq→baton", latency ? libzmq : baton, latency ? baton : libzmq));
                if (!latency)
                {
                    // The idiomatic sender into libzmq's receiver, against libzmq's own sender into it.
                    cases.Add(new("baton-message→libzmq", libzmq, batonMessage));
                }
            }
        }

        if (all || peer == "netmq")
        {
            var netmq = new NetMqDriver { Curve = curve };
            if (curve is null || netmq.SupportsCurve)
            {
                cases.Add(new("netmq", netmq, netmq));
            }
        }

        var socket = new SocketDriver();
        if ((all || peer == "socket") && socket.Supports(transport) && (curve is null || socket.SupportsCurve))
        {
            cases.Add(new("socket", socket, socket));
        }

        if (!all && cases.Count == 0)
        {
            throw new BenchFailure(peer == "libzmq" ? "libzmq.so.5 is not installed (apt install libzmq5)"
                : curve is not null ? $"peer '{peer}' has no CURVE" : $"peer '{peer}' cannot run over {transport}");
        }

        return cases;
    }
}
