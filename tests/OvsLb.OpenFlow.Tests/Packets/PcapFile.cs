using System.Buffers.Binary;

namespace OvsLb.OpenFlow.Tests.Packets;

/// <summary>
/// The classic libpcap file format: a 24-byte global header (magic 0xa1b2c3d4, version 2.4,
/// snaplen, link type 1 = Ethernet) and per frame a 16-byte record header (seconds,
/// microseconds, captured length, original length) followed by the bytes.
/// </summary>
public static class PcapFile
{
    public static void Write(string path, IEnumerable<byte[]> frames)
    {
        using var f = File.Create(path);
        Span<byte> h = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        f.Write(h);
        uint n = 0;
        Span<byte> r = stackalloc byte[16];
        foreach (var frame in frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(r, 1_700_000_000 + n++);
            BinaryPrimitives.WriteUInt32LittleEndian(r[4..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(r[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(r[12..], (uint)frame.Length);
            f.Write(r);
            f.Write(frame);
        }
    }

    public static List<byte[]> Read(string path)
    {
        var data = File.ReadAllBytes(path);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        bool little = magic is 0xa1b2c3d4 or 0xa1b23c4d;
        if (!little && BinaryPrimitives.ReadUInt32BigEndian(data) is not (0xa1b2c3d4 or 0xa1b23c4d))
        {
            throw new InvalidDataException($"{path}: not a pcap file");
        }
        uint U32(int at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
        if (U32(20) != 1) throw new InvalidDataException($"{path}: link type {U32(20)} is not Ethernet");
        var frames = new List<byte[]>();
        for (int pos = 24; pos + 16 <= data.Length;)
        {
            int len = checked((int)U32(pos + 8));
            frames.Add(data.AsSpan(pos + 16, len).ToArray());
            pos += 16 + len;
        }
        return frames;
    }
}
