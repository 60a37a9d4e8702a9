namespace Baton.Cli.Commands;

/// <summary>How frames are written by <c>recv</c> and read by <c>send</c>; one message per line in every form.</summary>
internal enum FrameFormat
{
    /// <summary>Frames joined by tabs; a backslash escapes what cannot appear as is: \\ \t \n \r and \xHH for control characters and bytes that are not UTF-8.</summary>
    Text,

    /// <summary>Each frame as lowercase hexadecimal, frames joined by tabs.</summary>
    Hex,

    /// <summary>Each frame as standard base64 (padded), frames joined by tabs.</summary>
    Base64,

    /// <summary>A JSON array per message: a string for a frame that is valid UTF-8, else {"base64": "..."}.</summary>
    Json,
}
