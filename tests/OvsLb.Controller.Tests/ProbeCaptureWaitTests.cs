using System.Diagnostics;
using OvsLb.Controller.Cli.Probe;

namespace OvsLb.Controller.Tests;

/// <summary>
/// The probe's waits (<see cref="ProbeCapture.Left"/>): <c>Monitor.Wait(o, TimeSpan)</c> truncates to whole milliseconds
/// and takes -1 ms as "forever", so a remainder computed a moment after its deadline passed (a thread preempted between
/// the check and the wait) once made <c>ovslb probe</c> wait for ever in a CI run (ProbeAgreesWithWhichTests stuck 18 min,
/// stack in ProbeCapture.Run's grace loop). The remainder is now null once the deadline has passed and at least 1 ms before.
/// </summary>
public sealed class ProbeCaptureWaitTests
{
    [TestCase(-1.5)]
    [TestCase(-1.0)]
    [TestCase(-0.2)]
    [TestCase(0.0)]
    public void A_deadline_that_has_passed_leaves_no_wait(double msAfterStart)
    {
        var stopped = new Stopwatch();   // never started: Elapsed is zero
        Assert.That(ProbeCapture.Left(TimeSpan.FromMilliseconds(msAfterStart), stopped), Is.Null);
    }

    [TestCase(0.3, 1)]
    [TestCase(1.0, 1)]
    [TestCase(29.2, 30)]
    [TestCase(2000.0, 2000)]
    public void A_deadline_ahead_is_waited_for_in_whole_milliseconds_never_zero_or_minus_one(double msAhead, int expected)
    {
        var stopped = new Stopwatch();
        int? left = ProbeCapture.Left(TimeSpan.FromMilliseconds(msAhead), stopped);
        Assert.That(left, Is.EqualTo(expected));
        Assert.That(left, Is.GreaterThan(0));
    }

    [Test]
    public void A_wait_with_the_remainder_returns_when_the_deadline_passes()
    {
        var gate = new object();
        var clock = Stopwatch.StartNew();
        var until = TimeSpan.FromMilliseconds(50);
        int waits = 0;
        lock (gate)
        {
            while (ProbeCapture.Left(until, clock) is { } left)
            {
                Monitor.Wait(gate, left);
                waits++;
            }
        }
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(until));
        Assert.That(waits, Is.GreaterThan(0));
    }
}
