namespace Baton.Wire;

/// <summary>ZMTP 3.x constants (https://rfc.zeromq.org/spec/37/).</summary>
internal static class Zmtp
{
    public const int GreetingSize = 64;
    public const byte FlagMore = 0x01;
    public const byte FlagLong = 0x02;
    public const byte FlagCommand = 0x04;

    /// <summary>Flag bits RFC 37 reserves: a frame with any of them set is malformed.</summary>
    public const byte ReservedFlags = 0xF8;

    /// <summary>Largest header: flags byte and 8-byte size.</summary>
    public const int MaxHeaderSize = 9;

    /// <summary>Short frames carry a one-byte size; longer ones the 8-byte form.</summary>
    public const int MaxShortSize = 255;
}
