using OvsLb.State;

namespace OvsLb.Pipeline;

/// <summary>What a flow or learned flow is for; the cookie's feature byte (see <see cref="CookieLayout"/>).</summary>
public enum FlowFeature : byte
{
    /// <summary>Table defaults (NORMAL or drop).</summary>
    Default = 0,
    /// <summary>ARP replies for a VIP made in the datapath.</summary>
    ArpResponder = 1,
    /// <summary>Gateway ARP/GARP → learned next hop.</summary>
    GatewayLearn = 2,
    /// <summary>VIP:port → the service's select group.</summary>
    Service = 3,
    /// <summary>Fake MAC → real destination IP.</summary>
    Translate = 4,
    /// <summary>Next-hop fallbacks (the learned entries carry <see cref="Learned"/>).</summary>
    NextHop = 5,
    /// <summary>Backend replies: source IP back to the VIP.</summary>
    ReturnSnat = 6,
    /// <summary>Port-group flows: master entry, gateway answers, return path.</summary>
    PortGroup = 7,
    /// <summary>ARP replies to the LB MAC sent to the controller for active health checks.</summary>
    Health = 8,
    /// <summary>onEmpty "reject": an empty service's packets → meter → controller, which refuses them.</summary>
    Reject = 9,
    /// <summary>A SYN that found a connection entry (a reused 5-tuple, or a retransmitted SYN) → meter → controller,
    /// which adds the entry anew; and the flows that keep closing packets in datapath flows of their own.</summary>
    Renew = 10,
    /// <summary>Flows created by NXAST_LEARN in the datapath. <see cref="CookieLayout.Owns"/> is false for
    /// them, so the reconciler never deletes what the switch learned.</summary>
    Learned = CookieLayout.LearnedFeature,
}
