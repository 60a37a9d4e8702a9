namespace Baton.Patterns;

/// <summary>
/// The one check of a pattern option that becomes a timer (a delay or a poll timeout in whole milliseconds),
/// so each option does not write its own: positive, or zero where waiting nothing makes sense, and under 24 days
/// (<see cref="int.MaxValue"/> milliseconds), the longest a timer takes.
/// </summary>
internal static class TimerDuration
{
    /// <summary>Returns <paramref name="value"/> if it is a usable timer duration, or throws naming the option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The duration is negative, zero when <paramref name="allowZero"/> is false, or 24 days or more.</exception>
    public static TimeSpan Check(TimeSpan value, string name, bool allowZero = false)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {(allowZero ? "zero or more" : "positive")} (and under 24 days).");
        }

        return value;
    }
}
