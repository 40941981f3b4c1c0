using System.Buffers.Binary;
using System.Numerics;
using OvsLb.OpenFlow.Packets;

namespace OvsLb.Pipeline.Hashing;

/// <summary>
/// The <c>dp_hash</c> the Open vSwitch 3.1 userspace (netdev) datapath computes for a packet sent to a
/// select group, re-implemented so <c>ovslb which</c> can say which bucket, hence which backend, a
/// connection gets without a switch.
/// <para>
/// <b>Where it comes from in OVS 3.1.</b> A select group without a selection method gets
/// <c>hash_alg = OVS_HASH_ALG_SYM_L4</c>, basis 0 and <c>hash_mask = n_hash - 1</c>
/// (ofproto-dpif.c <c>group_set_selection_method</c>, <c>group_setup_dp_hash_table</c>).
/// Translation emits <c>hash(sym_l4(0)),recirc(N)</c> (ofproto-dpif-xlate.c
/// <c>pick_dp_hash_select_group</c>); the datapath runs <c>flow_hash_symmetric_l3l4(flow, basis,
/// false)</c> on the packet (odp-execute.c, <c>OVS_ACTION_ATTR_HASH</c>), and after recirculation the
/// group uses bucket <c>hash_map[dp_hash &amp; hash_mask]</c>, which for our M weight-1 buckets is
/// bucket <c>dp_hash &amp; (M-1)</c>. Note the <c>false</c>: UDP ports are <i>not</i> hashed, so all
/// UDP flows between two addresses share a bucket; TCP ports are.
/// </para>
/// <para>
/// <b>Byte order.</b> OVS hashes header fields as they lie in memory (network order) loaded as host
/// integers. The values here are those of a little-endian host (x86-64, arm64) running the generic
/// murmur-based <c>hash_add</c> (lib/hash.h); a build with SSE 4.2 or ARM CRC32 enabled uses CRC32
/// instead and gets other values. Debian's and Ubuntu's packages are generic builds; the tests check
/// these values against the installed OVS. The kernel datapath hashes with the kernel's own, randomly
/// seeded flow hash: no program outside the kernel can predict its buckets.
/// </para>
/// </summary>
public static class OvsDpHash
{
    /// <summary>The dp_hash of <paramref name="t"/> under <paramref name="algorithm"/>.</summary>
    public static uint Compute(DpHashAlgorithm algorithm, FiveTuple t, uint basis = 0) => algorithm switch
    {
        DpHashAlgorithm.SymmetricL4 => SymmetricL3L4(t, basis, includeUdpPorts: false),
        DpHashAlgorithm.L4 => HashInt(RssHash(t), basis),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown dp_hash algorithm"),
    };

    /// <summary>The bucket a dp_hash selects in a group of <paramref name="buckets"/> (a power of two) weight-1 buckets.</summary>
    public static int Bucket(uint dpHash, int buckets)
    {
        if (buckets <= 0 || !BitOperations.IsPow2(buckets)) throw new ArgumentOutOfRangeException(nameof(buckets), buckets, "the bucket count must be a power of two");
        return (int)(dpHash & (uint)(buckets - 1));
    }

    /// <summary>
    /// lib/flow.c <c>flow_hash_symmetric_l3l4</c>: the XOR of the addresses (IPv6: each 64-bit half of the XOR, loaded
    /// from memory, added by <c>hash_add64</c>), the protocol, and for unfragmented TCP and SCTP (and UDP when
    /// <paramref name="includeUdpPorts"/>) the XOR of the ports.
    /// </summary>
    public static uint SymmetricL3L4(FiveTuple t, uint basis, bool includeUdpPorts)
    {
        uint hash = basis;
        if (t.IsIpv6)
        {
            Span<byte> a = stackalloc byte[16], b = stackalloc byte[16];
            t.Source6!.Value.Write(a);
            t.Destination6!.Value.Write(b);
            for (int i = 0; i < 16; i += 8)
            {
                ulong x = BinaryPrimitives.ReadUInt64LittleEndian(a[i..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(b[i..]);
                hash = HashAdd64(hash, x);
            }
        }
        else hash = HashAdd(hash, InMemory(t.Source.Value ^ t.Destination.Value));
        hash = HashAdd(hash, t.Protocol);
        if (t.Protocol is IpProtocol.Tcp or IpProtocol.Sctp || (includeUdpPorts && t.Protocol == IpProtocol.Udp))
        {
            hash = HashAdd(hash, InMemory((ushort)(t.SourcePort ^ t.DestinationPort)));
        }
        return HashFinish(hash, basis);
    }

    /// <summary>
    /// lib/flow.c <c>flow_hash_5tuple</c> / <c>miniflow_hash_5tuple</c> with basis 0: the software RSS hash
    /// dpif-netdev gives a received packet that carries none (<c>dpif_netdev_packet_get_rss_hash</c>).
    /// Source and destination address, protocol, and for TCP/UDP/SCTP/ICMP both ports as one 32-bit word.
    /// </summary>
    public static uint RssHash(FiveTuple t)
    {
        if (t.IsIpv6) throw new NotSupportedException("the RSS hash of an IPv6 connection is not modelled (only the select groups' symmetric hash is)");
        uint hash = 0;
        hash = HashAdd(hash, InMemory(t.Source.Value));
        hash = HashAdd(hash, InMemory(t.Destination.Value));
        hash = HashAdd(hash, t.Protocol);
        if (t.Protocol is IpProtocol.Tcp or IpProtocol.Udp or IpProtocol.Sctp or IpProtocol.Icmp)
        {
            // tp_src and tp_dst are adjacent be16 fields, read as one host word.
            hash = HashAdd(hash, InMemory(t.SourcePort) | ((uint)InMemory(t.DestinationPort) << 16));
        }
        return HashFinish(hash, 42);
    }

    /// <summary>lib/hash.h <c>hash_int</c> = <c>hash_2words(x, basis)</c>.</summary>
    public static uint HashInt(uint x, uint basis) => HashFinish(HashAdd(HashAdd(x, 0), basis), 8);

    /// <summary>lib/hash.h <c>hash_add</c> (generic build: <c>mhash_add</c>, one MurmurHash3 round).</summary>
    public static uint HashAdd(uint hash, uint data)
    {
        if (data != 0) // mhash_add__: a zero word leaves the state unchanged
        {
            data *= 0xcc9e2d51;
            data = BitOperations.RotateLeft(data, 15);
            data *= 0x1b873593;
            hash ^= data;
        }
        hash = BitOperations.RotateLeft(hash, 13);
        return hash * 5 + 0xe6546b64;
    }

    /// <summary>lib/hash.h <c>hash_add64</c> (generic build): the low 32-bit half, then the high one.</summary>
    public static uint HashAdd64(uint hash, ulong data) => HashAdd(HashAdd(hash, (uint)data), (uint)(data >> 32));

    /// <summary>lib/hash.h <c>hash_finish</c> (generic build: <c>mhash_finish(hash ^ final)</c>).</summary>
    public static uint HashFinish(uint hash, uint final)
    {
        hash ^= final;
        hash ^= hash >> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >> 16;
        return hash;
    }

    /// <summary>A network-order 32-bit field as a little-endian host loads it.</summary>
    private static uint InMemory(uint networkValue) => BinaryPrimitives.ReverseEndianness(networkValue);

    /// <summary>A network-order 16-bit field as a little-endian host loads it.</summary>
    private static ushort InMemory(ushort networkValue) => BinaryPrimitives.ReverseEndianness(networkValue);
}
