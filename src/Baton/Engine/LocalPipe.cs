using Baton.Messages;

namespace Baton.Engine;

/// <summary>The source of messages a socket makes itself (XPUB's subscription notices): no peer, no HWM.</summary>
internal sealed class LocalPipe(IPipeOwner owner) : Pipe(owner, "local")
{
    public override bool IsConnected => false;

    public override bool TryWrite(MessageBody message) => false;

    public override void WriteControl(MessageBody message)
    {
    }

    protected override void OnInboundSpace()
    {
    }

    public override void Terminate()
    {
    }
}
