namespace Baton.Messages;

/// <summary>Whose a message is, as far as the public API is concerned.</summary>
internal enum MessageState : byte
{
    /// <summary>The caller's: every member works.</summary>
    Live,

    /// <summary>Handed to a socket: the caller's members throw, the library goes on using it internally.</summary>
    Sent,

    /// <summary>Disposed, or its last reference released: back in the pool or garbage.</summary>
    Released,
}
