using Baton.Messages;

namespace Baton.Patterns;

/// <summary>A reply that a <see cref="MajordomoAsyncClient"/> received: the service that sent it and its body frames.</summary>
/// <param name="Service">The service that replied.</param>
/// <param name="Body">The reply's body frames: the caller's, dispose it (or dispose this reply).</param>
public readonly record struct MajordomoReply(string Service, Message Body) : IDisposable
{
    /// <summary>Disposes <see cref="Body"/>.</summary>
    public void Dispose() => Body.Dispose();
}
