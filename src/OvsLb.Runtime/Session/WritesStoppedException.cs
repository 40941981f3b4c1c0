namespace OvsLb.Runtime.Session;

/// <summary>A write to a switch refused by this instance itself, because <see cref="SwitchSession.StopWriting"/> was called: nothing was sent.</summary>
public sealed class WritesStoppedException(string message) : InvalidOperationException(message);
