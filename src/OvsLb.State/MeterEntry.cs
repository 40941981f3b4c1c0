using System.Text;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Messages.Multipart;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.State;

/// <summary>
/// One meter (rate limiter) of a desired or installed state, compared by structure: flags and bands as
/// the switch reports them in an OFPMP_METER_CONFIG reply. Meter mods are not bundlable in OVS, so the
/// reconciler sends them around the bundle (<see cref="StateDiff"/>).
/// </summary>
public sealed record MeterEntry(uint MeterId, MeterFlags Flags, EquatableArray<MeterBand> Bands)
{
    /// <summary>True when modifying <paramref name="other"/> into this meter would change nothing.</summary>
    public bool SameContent(MeterEntry other) => Flags == other.Flags && Bands.Equals(other.Bands);

    /// <summary>The meter as <c>ovs-ofctl -O OpenFlow13 dump-meters</c> prints it (one line, bands after a space).</summary>
    public string Text
    {
        get
        {
            var s = new StringBuilder();
            new MeterConfigEntry(Flags, MeterId, Bands).Format(s);
            return s.ToString().TrimEnd('\n').Replace('\n', ' ');
        }
    }

    public override string ToString() => Text;

    public MeterMod ToAdd() => new() { Command = MeterModCommand.Add, MeterId = MeterId, Flags = Flags, Bands = Bands };
    public MeterMod ToModify() => new() { Command = MeterModCommand.Modify, MeterId = MeterId, Flags = Flags, Bands = Bands };
    public MeterMod ToDelete() => new() { Command = MeterModCommand.Delete, MeterId = MeterId };

    public static MeterEntry From(MeterConfigEntry e) => new(e.MeterId, e.Flags, e.Bands);
}
