using Baton.Messages;

namespace Baton.Processes.Internal;

/// <summary>One worker as the dispatcher sees it. Only the dispatcher loop touches it.</summary>
internal sealed class WorkerState
{
    public WorkerState(string identity, bool remote)
    {
        Identity = identity;
        Address = PoolProtocol.Text(identity);
        IsRemote = remote;
    }

    /// <summary>The DEALER identity the worker connects with; the ROUTER addresses it by this.</summary>
    public string Identity { get; }

    /// <summary><see cref="Identity"/> as the ROUTER's routing frame, encoded once rather than per message sent.</summary>
    public Frame Address { get; }

    public bool IsRemote { get; }

    /// <summary>The local process, once started (null for remote workers).</summary>
    public ChildProcess? Process { get; set; }

    public int Pid { get; set; }

    /// <summary>Waiting in the idle queue.</summary>
    public bool IsIdle { get; set; }

    /// <summary>Said READY: it takes work.</summary>
    public bool IsReady { get; set; }

    /// <summary>Asked to stop (recycling, shutdown) or killed: it takes no more work.</summary>
    public bool IsRetiring { get; set; }

    /// <summary>The pool killed it (or gave up on it): its exit charges no task.</summary>
    public bool IsKilled { get; set; }

    /// <summary>Its exit or loss has been handled.</summary>
    public bool IsGone { get; set; }

    public PoolTask? Task { get; set; }

    public int TasksDone { get; set; }

    /// <summary>Stopwatch timestamp of the last message from a remote worker.</summary>
    public long LastHeard { get; set; }

    /// <summary>Stopwatch timestamp after which a retiring worker is killed.</summary>
    public long RetireDeadline { get; set; }

    /// <summary>The host a remote worker runs on, from its READY.</summary>
    public string Host { get; set; } = "";
}
