namespace Baton.Messages;

/// <summary>What a message is to the engine: data, or a subscription travelling upstream.</summary>
internal enum MessageKind : byte
{
    /// <summary>Application data.</summary>
    Data,

    /// <summary>A subscription change: the first byte is 1 (subscribe) or 0 (cancel), the rest is the prefix.</summary>
    Subscription,
}
