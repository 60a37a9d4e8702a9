namespace Baton.Patterns;

/// <summary>Which server of a Binary Star pair this is: the one that serves first, or the one that stands by.</summary>
public enum BinaryStarRole
{
    /// <summary>The primary: active when the pair starts together, or alone after two silent heartbeats and a client request.</summary>
    Primary,

    /// <summary>The backup: passive while the primary lives; takes over when the primary is silent and a client asks.</summary>
    Backup,
}
