namespace Baton.Wire;

/// <summary>What <see cref="FrameDecoder.Decode"/> found at the start of its input.</summary>
internal enum FrameStatus : byte
{
    /// <summary>Not a whole frame yet: keep the bytes and call again with more appended.</summary>
    NeedMore,

    /// <summary>A whole frame: header and body are in the input.</summary>
    Frame,

    /// <summary>
    /// The header of a large frame whose body is not all here: the caller consumes the header only and
    /// gathers the body in a buffer of its own, so a big frame is not copied through the read buffer.
    /// </summary>
    LargeFrame,
}
