namespace OvsLb.Testing.Frames;

/// <summary>
/// NDP frames captured (tcpdump -xx in the client namespace) while OVS 3.1's NDP responder flows answered a Linux
/// neighbour (VIP fd00::100, LB MAC 02:00:00:00:00:fe, client fd00::2 at 02:00:00:00:00:02; helpers/s18/ndp-hand.sh).
/// Written by Linux and by OVS, not by us: the referee for our NDP parsing and building.
/// </summary>
public static class CapturedNdp
{
    /// <summary>Linux's multicast NS from fd00::2 (SLL 02:00:00:00:00:02) for fd00::100.</summary>
    public const string Ns = "3333ff0001000200000000" + "0286dd6000000000203afffd000000000000000000000000000002ff0200000000000000000001ff000100"
        + "87007b9900000000fd000000000000000000000000000100" + "01010200000000" + "02";

    /// <summary>The NA the responder flows returned for <see cref="Ns"/> (S|O, TLL = the LB MAC).</summary>
    public const string Na = "0200000000020200000000fe86dd6000000000203afffd000000000000000000000000000100fd000000000000000000000000000002"
        + "880019a160000000fd000000000000000000000000000100" + "02010200000000fe";

    /// <summary>The answer to Linux's unicast NUD probe from its link-local address.</summary>
    public const string NudNa = "0200000000020200000000fe86dd6000000000203afffd000000000000000000000000000100fe80000000000000000000fffe000002"
        + "8800192160000000fd00000000000000000000000000010002010200000000fe";

    /// <summary>Linux's DAD probe for fd00::100 (from ::, an RFC 7527 nonce option, no SLL).</summary>
    public const string DadNs = "3333ff00010002000000000286dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff000100"
        + "8700a82d00000000fd0000000000000000000000000001000e01d2d6036aef2f";

    /// <summary>The DAD-answer variant's NA to ff02::1 (O only; the nonce stays, no TLL).</summary>
    public const string DadNa = "3333000000010200000000fe86dd6000000000203afffd000000000000000000000000000100ff020000000000000000000000000001"
        + "8800892d20000000fd0000000000000000000000000001000e01d2d6036aef2f";
}
