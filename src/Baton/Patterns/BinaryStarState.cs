namespace Baton.Patterns;

/// <summary>
/// The states of the Binary Star state machine (ZeroMQ guide, chapter 4). The numbers are those the
/// servers publish to each other as heartbeats, as the guide's servers do.
/// </summary>
public enum BinaryStarState
{
    /// <summary>The primary, waiting to hear from its peer; a client request after two silent heartbeats makes it active.</summary>
    Primary = 1,

    /// <summary>The backup, waiting to hear from its peer; it refuses client requests.</summary>
    Backup = 2,

    /// <summary>Serving client requests; the only way out is the process ending.</summary>
    Active = 3,

    /// <summary>Standing by: refuses client requests until the peer is silent for two heartbeats, when a client request makes it active.</summary>
    Passive = 4,
}
