namespace Baton.Wire;

/// <summary>The commands of RFC 37 Baton acts on; anything else is <see cref="Unknown"/> and ignored.</summary>
internal enum CommandName : byte
{
    Unknown,
    Ready,
    Error,
    Subscribe,
    Cancel,
    Ping,
    Pong,
}
