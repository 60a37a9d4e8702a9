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

    /// <summary>The arguments that hand the client's side of these keys to a <c>peer</c> child.</summary>
    public string[] ClientArguments() => ["--curve-server-key", ServerPublic, "--curve-client-public", ClientPublic, "--curve-client-secret", ClientSecret];

    /// <summary>A client's view: the server's secret is not known to it.</summary>
    public static CurveKeys ForClient(string serverPublic, string clientPublic, string clientSecret) => new(serverPublic, "", clientPublic, clientSecret);

    /// <summary>Never the keys.</summary>
    public override string ToString() => "CURVE keys";
}
