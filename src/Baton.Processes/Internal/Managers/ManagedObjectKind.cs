namespace Baton.Processes.Internal.Managers;

/// <summary>What a named object on a manager is; a name keeps the kind it was first opened with.</summary>
internal enum ManagedObjectKind : byte
{
    Dictionary = 1,
    List = 2,
    Namespace = 3,
    Queue = 4,
}
