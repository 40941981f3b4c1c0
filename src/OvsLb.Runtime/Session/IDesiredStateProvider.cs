using OvsLb.State;

namespace OvsLb.Runtime.Session;

/// <summary>
/// The application's policy: the desired flows and groups for a switch. GetDesiredState has no side
/// effects (it runs under the reconcile lock, before the bundle, which may be refused): what should
/// happen once a state is in effect belongs in <see cref="OnReconciled"/>. <see cref="Changed"/> tells
/// the runtime to reconcile every connected switch again.
/// </summary>
public interface IDesiredStateProvider
{
    SwitchState GetDesiredState(SwitchInfo sw);

    /// <summary>The desired state given what the switch has installed (read back on connect); by default
    /// the installed state is not needed.</summary>
    SwitchState GetDesiredState(SwitchInfo sw, SwitchState installed) => GetDesiredState(sw);

    /// <summary>
    /// Told after <paramref name="sw"/> was reconciled: the switch now holds <paramref name="committed"/>,
    /// the very instance <see cref="GetDesiredState(SwitchInfo, SwitchState)"/> returned (its bundle
    /// committed, or nothing had to change). Not called when the switch refused the bundle or the
    /// reconcile failed, so a policy that remembers what it planned (or acts on a change) does so only
    /// for what took effect. Called under the switch's reconcile lock: calls for one switch come in
    /// commit order, and the next GetDesiredState for it waits for this one.
    /// </summary>
    void OnReconciled(ISwitchHandle sw, SwitchState committed) { }

    event EventHandler? Changed;
}

/// <summary>A provider with a fixed state for every switch (tests, tools); <see cref="Set"/> changes it.</summary>
public sealed class StaticDesiredState(SwitchState state) : IDesiredStateProvider
{
    private SwitchState _state = state;

    public SwitchState GetDesiredState(SwitchInfo sw) => _state;

    public event EventHandler? Changed;

    public void Set(SwitchState state)
    {
        _state = state;
        Changed?.Invoke(this, EventArgs.Empty);
    }
}
