namespace Baton.Messages;

/// <summary>Who a frame's bytes belong to, and so what happens to them when the message is disposed.</summary>
internal enum FrameOwnership : byte
{
    /// <summary>The caller's array: never reused by Baton.</summary>
    Caller,

    /// <summary>Rented from the shared array pool: returned when the message is disposed.</summary>
    Pool,

    /// <summary>A slice of the owning message's store: reused with the message.</summary>
    Store,
}
