namespace Baton.Processes.Internal.Managers;

/// <summary>
/// The operations a manager serves. A request is the frames [request id (4 bytes)][op (1 byte)][object name]
/// followed by the op's arguments; values and keys travel as the client's serialized bytes, so the server
/// never needs the user's types.
/// </summary>
internal enum ManagerOp : byte
{
    // Objects: [kind][max size (4 bytes, queues)] -> OK or WrongKind.
    Open = 1,
    Shutdown = 2,
    // -> the endpoints the server bound, one per frame (a tcp port 0 resolved).
    Endpoints = 3,

    DictionaryGet = 10,
    DictionarySet = 11,
    DictionaryRemove = 12,
    DictionaryContains = 13,
    DictionaryCount = 14,
    DictionaryKeys = 15,
    DictionaryValues = 16,
    DictionaryItems = 17,
    DictionaryClear = 18,
    DictionarySetDefault = 19,

    ListAppend = 30,
    ListGet = 31,
    ListSet = 32,
    ListInsert = 33,
    ListRemoveAt = 34,
    ListCount = 35,
    ListItems = 36,
    ListClear = 37,

    NamespaceGet = 50,
    NamespaceSet = 51,
    NamespaceRemove = 52,
    NamespaceNames = 53,

    // Blocking queue operations carry the server-side wait in milliseconds (-1: for ever).
    QueuePut = 70,
    QueueGet = 71,
    QueueCount = 72,
    // [target request id]: withdraws a waiting Put or Get; the target is answered Cancelled (no reply of its own).
    QueueCancel = 73,
}
