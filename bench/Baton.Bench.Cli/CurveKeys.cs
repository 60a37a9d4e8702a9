using Baton.Security;

namespace Baton.Bench.Cli;

/// <summary>
/// The throwaway CURVE key pairs of one <c>--mechanism curve</c> run, as Z85 text (what every implementation
/// accepts): the bound, measuring end is the server, the other end the client.
/// </summary>
internal sealed record CurveKeys(string ServerPublic, string ServerSecret, string ClientPublic, string ClientSecret)
{
    /// <summary>Two fresh key pairs.</summary>
    public static CurveKeys Generate()
    {
        var server = CurveKeyPair.Generate();
        var client = CurveKeyPair.Generate();
        return new(server.PublicKeyZ85, server.SecretKeyZ85!, client.PublicKeyZ85, client.SecretKeyZ85!);
    }

    /// <summary>
    /// The arguments that hand the client's side of these keys to a <c>peer</c> child, in hex: Z85 text may
    /// start with '@', which the command line would take for a response file.
    /// </summary>
    public string[] ClientArguments() => ["--curve-server-key", Hex(ServerPublic), "--curve-client-public", Hex(ClientPublic), "--curve-client-secret", Hex(ClientSecret)];

    /// <summary>A client's view, from the hex of <see cref="ClientArguments"/>: the server's secret is not known to it.</summary>
    public static CurveKeys ForClient(string serverPublic, string clientPublic, string clientSecret) => new(FromHex(serverPublic), "", FromHex(clientPublic), FromHex(clientSecret));

    private static string Hex(string z85) => Convert.ToHexString(Z85.Decode(z85));

    private static string FromHex(string hex) => Z85.Encode(Convert.FromHexString(hex));

    /// <summary>Never the keys.</summary>
    public override string ToString() => "CURVE keys";
}
