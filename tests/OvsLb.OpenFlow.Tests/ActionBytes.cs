using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Tests;

/// <summary>Hex helpers shared by the single-action tests: decode one action, encode it back, round-trip, reject.</summary>
internal static class ActionBytes
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>Decodes exactly one action filling <paramref name="hex"/>.</summary>
    public static OfpAction Decode(string hex)
    {
        var r = new OfpReader(Hex(hex));
        var a = ActionCodec.ReadOne(ref r);
        Assert.That(r.End, Is.True, "action did not consume its bytes");
        return a;
    }

    /// <summary>Encodes one action as lowercase hex, checking <see cref="OfpAction.WireLength"/> against what was written.</summary>
    public static string Encode(OfpAction a)
    {
        var buf = new byte[a.WireLength];
        var w = new OfpWriter(buf);
        a.Write(ref w);
        Assert.That(w.Position, Is.EqualTo(buf.Length), "WireLength disagrees with Write");
        return Convert.ToHexString(buf).ToLowerInvariant();
    }

    /// <summary>The bytes decode to a typed (not raw) action that prints <paramref name="text"/> and re-encodes unchanged.</summary>
    public static void RoundTrip(string hex, string text)
    {
        var a = Decode(hex);
        Assert.Multiple(() =>
        {
            Assert.That(a, Is.Not.InstanceOf<RawAction>());
            Assert.That(a.ToString(), Is.EqualTo(text));
            Assert.That(Encode(a), Is.EqualTo(hex.Replace(" ", "", StringComparison.Ordinal)));
        });
    }

    /// <summary>The bytes are refused with an <see cref="OfpProtocolException"/>, which is returned for further checks.</summary>
    public static OfpProtocolException Rejects(string hex)
    {
        var bytes = Hex(hex);
        return Assert.Throws<OfpProtocolException>(() =>
        {
            var r = new OfpReader(bytes);
            ActionCodec.ReadOne(ref r);
        })!;
    }
}
