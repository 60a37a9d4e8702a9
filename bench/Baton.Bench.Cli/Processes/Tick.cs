using MemoryPack;

namespace Baton.Bench.Cli.Processes;

/// <summary>A small record for the serializer comparison of baton bench queue (public: MessagePack's contractless resolver needs it).</summary>
[MemoryPackable]
public sealed partial record Tick(long Sequence, string Symbol, double Price, int Volume);
