namespace Baton.Sockets;

/// <summary>The ZeroMQ socket types.</summary>
public enum ZmqSocketType
{
    /// <summary>Exclusive one-to-one pair.</summary>
    Pair,

    /// <summary>Publisher: fans messages out to matching subscribers, drops at HWM.</summary>
    Pub,

    /// <summary>Subscriber: receives messages matching its prefix subscriptions.</summary>
    Sub,

    /// <summary>Publisher that hands subscription messages to the application.</summary>
    XPub,

    /// <summary>Subscriber that sends subscription messages as ordinary sends.</summary>
    XSub,

    /// <summary>Request: strict send/receive alternation with an envelope.</summary>
    Req,

    /// <summary>Reply: strict receive/send alternation, replies routed by the request's envelope.</summary>
    Rep,

    /// <summary>Asynchronous request: round-robin out, fair-queue in.</summary>
    Dealer,

    /// <summary>Asynchronous reply: messages prefixed with and routed by peer identity.</summary>
    Router,

    /// <summary>Pipeline sender: round-robin, waits at HWM.</summary>
    Push,

    /// <summary>Pipeline receiver: fair-queues.</summary>
    Pull,
}
