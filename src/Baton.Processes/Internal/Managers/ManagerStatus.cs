namespace Baton.Processes.Internal.Managers;

/// <summary>The first frame of a manager's reply after the request id.</summary>
internal enum ManagerStatus : byte
{
    Ok = 0,
    NotFound = 1,
    OutOfRange = 2,
    TimedOut = 3,
    WrongKind = 4,
    BadRequest = 5,
    Cancelled = 6,
    ShuttingDown = 7,
}
