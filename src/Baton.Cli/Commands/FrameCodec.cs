using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Baton.Messages;

namespace Baton.Cli.Commands;

/// <summary>
/// Writes messages as lines and reads them back in a <see cref="FrameFormat"/>. Every form keeps
/// every byte (what <c>recv</c> prints, <c>send</c> given the same format sends again) and none
/// puts a control character on the terminal.
/// </summary>
internal sealed class FrameCodec(FrameFormat format)
{
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    private readonly ArrayBufferWriter<byte> _line = new();
    private Utf8JsonWriter? _json;

    /// <summary>The message as one line in this format, newline included; valid until the next call.</summary>
    public ReadOnlyMemory<byte> Encode(in Message message)
    {
        _line.ResetWrittenCount();
        if (format == FrameFormat.Json)
        {
            EncodeJson(message);
        }
        else
        {
            for (var i = 0; i < message.Count; i++)
            {
                if (i > 0)
                {
                    Append("\t"u8);
                }

                EncodeFrame(message.GetSpan(i));
            }
        }

        Append("\n"u8);
        return _line.WrittenMemory;
    }

    /// <summary>One line of input (without its newline) as a message's frames.</summary>
    /// <exception cref="FormatException">The line is not in this format.</exception>
    public Frame[] DecodeLine(string line)
    {
        if (format == FrameFormat.Json)
        {
            return DecodeJsonArray(line);
        }

        var parts = line.Split('\t');
        var frames = new Frame[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            frames[i] = DecodeFrame(parts[i]);
        }

        return frames;
    }

    /// <summary>One frame given on the command line (for json, a JSON string or {"base64": "..."}).</summary>
    /// <exception cref="FormatException">The text is not in this format.</exception>
    public Frame DecodeFrame(string text)
    {
        switch (format)
        {
            case FrameFormat.Hex:
                try
                {
                    return Convert.FromHexString(text);
                }
                catch (FormatException)
                {
                    throw new FormatException($"'{text}' is not hexadecimal (two digits per byte)");
                }

            case FrameFormat.Base64:
                try
                {
                    return Convert.FromBase64String(text);
                }
                catch (FormatException)
                {
                    throw new FormatException($"'{text}' is not base64");
                }

            case FrameFormat.Json:
                try
                {
                    using var document = JsonDocument.Parse(text);
                    return JsonFrame(document.RootElement);
                }
                catch (JsonException e)
                {
                    throw new FormatException($"'{text}' is not JSON: {e.Message}");
                }

            default:
                return Unescape(text);
        }
    }

    private void EncodeFrame(ReadOnlySpan<byte> frame)
    {
        switch (format)
        {
            case FrameFormat.Hex:
                Convert.TryToHexStringLower(frame, _line.GetSpan(frame.Length * 2), out var hexWritten);
                _line.Advance(hexWritten);
                break;
            case FrameFormat.Base64:
                var base64 = _line.GetSpan(Base64Length(frame.Length));
                System.Buffers.Text.Base64.EncodeToUtf8(frame, base64, out _, out var written);
                _line.Advance(written);
                break;
            default:
                Escape(frame);
                break;
        }
    }

    private static int Base64Length(int bytes) => (bytes + 2) / 3 * 4;

    /// <summary>
    /// Text: UTF-8 printable characters as they are; backslash, tab, newline and carriage return as
    /// \\ \t \n \r; every other control character (C0, DEL, C1) and every byte that is not part of
    /// valid UTF-8 as \xHH. The line stays one line, and the terminal sees no control sequence.
    /// </summary>
    private void Escape(ReadOnlySpan<byte> frame)
    {
        var i = 0;
        while (i < frame.Length)
        {
            if (Rune.DecodeFromUtf8(frame[i..], out var rune, out var consumed) != OperationStatus.Done)
            {
                AppendHexEscape(frame[i]);
                i++;
                continue;
            }

            switch (rune.Value)
            {
                case '\\':
                    Append("\\\\"u8);
                    break;
                case '\t':
                    Append("\\t"u8);
                    break;
                case '\n':
                    Append("\\n"u8);
                    break;
                case '\r':
                    Append("\\r"u8);
                    break;
                default:
                    if (Rune.IsControl(rune))
                    {
                        for (var b = 0; b < consumed; b++)
                        {
                            AppendHexEscape(frame[i + b]);
                        }
                    }
                    else
                    {
                        Append(frame.Slice(i, consumed));
                    }

                    break;
            }

            i += consumed;
        }
    }

    private void AppendHexEscape(byte value)
    {
        Span<byte> escape = [(byte)'\\', (byte)'x', HexDigits[value >> 4], HexDigits[value & 0xF]];
        Append(escape);
    }

    /// <summary>The inverse of <see cref="Escape"/>; an unknown escape is an error, so a typo never sends something else.</summary>
    private static byte[] Unescape(string text)
    {
        if (!text.Contains('\\'))
        {
            return Encoding.UTF8.GetBytes(text);
        }

        var bytes = new List<byte>(text.Length);
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                literal.Append(text[i]);
                continue;
            }

            bytes.AddRange(Encoding.UTF8.GetBytes(literal.ToString()));
            literal.Clear();
            var escape = i + 1 < text.Length ? text[i + 1] : '\0';
            switch (escape)
            {
                case '\\':
                    bytes.Add((byte)'\\');
                    i++;
                    break;
                case 't':
                    bytes.Add((byte)'\t');
                    i++;
                    break;
                case 'n':
                    bytes.Add((byte)'\n');
                    i++;
                    break;
                case 'r':
                    bytes.Add((byte)'\r');
                    i++;
                    break;
                case 'x' when i + 3 < text.Length && byte.TryParse(text.AsSpan(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value):
                    bytes.Add(value);
                    i += 3;
                    break;
                default:
                    var shown = i + 1 < text.Length ? text.Substring(i, Math.Min(2, text.Length - i)) : "\\";
                    throw new FormatException($"'{shown}' in '{text}' is not an escape (\\\\ \\t \\n \\r \\xHH); write '\\\\' for a backslash");
            }
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(literal.ToString()));
        return [.. bytes];
    }

    private void EncodeJson(in Message message)
    {
        if (_json is null)
        {
            _json = new Utf8JsonWriter(_line, s_json);
        }
        else
        {
            _json.Reset(_line);
        }

        _json.WriteStartArray();
        for (var i = 0; i < message.Count; i++)
        {
            var frame = message.GetSpan(i);
            if (Utf8.IsValid(frame))
            {
                _json.WriteStringValue(frame);
            }
            else
            {
                _json.WriteStartObject();
                _json.WriteBase64String("base64"u8, frame);
                _json.WriteEndObject();
            }
        }

        _json.WriteEndArray();
        _json.Flush();
    }

    private static Frame[] DecodeJsonArray(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.GetArrayLength() == 0)
            {
                throw new FormatException("a json line must be an array of one frame or more");
            }

            var frames = new Frame[document.RootElement.GetArrayLength()];
            var i = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                frames[i++] = JsonFrame(element);
            }

            return frames;
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON: {e.Message}");
        }
    }

    private static Frame JsonFrame(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return Encoding.UTF8.GetBytes(element.GetString()!);
        }

        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("base64", out var base64) && base64.ValueKind == JsonValueKind.String)
        {
            try
            {
                return base64.GetBytesFromBase64();
            }
            catch (FormatException)
            {
                throw new FormatException($"{base64.GetRawText()} is not base64");
            }
        }

        throw new FormatException($"a json frame is a string or {{\"base64\": \"...\"}}, not {element.GetRawText()}");
    }

    private void Append(ReadOnlySpan<byte> bytes) => _line.Write(bytes);
}
