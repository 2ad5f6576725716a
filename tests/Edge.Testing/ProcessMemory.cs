namespace Edge.Testing;

/// <summary>Reads a process's resident memory and CPU time from /proc, to check that the edge streams instead of buffering and that abuse costs it little.</summary>
public static class ProcessMemory
{
    public static long ResidentBytes(int processId)
    {
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{processId}/status has no VmRSS line.");
    }

    /// <summary>User plus system CPU time the process has used so far (utime + stime of /proc/PID/stat).</summary>
    public static TimeSpan CpuTime(int processId)
    {
        var stat = File.ReadAllText($"/proc/{processId}/stat");
        // The command name (field 2) may hold spaces; the fields after it are plain numbers.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    /// <summary>USER_HZ: Linux reports 100 on every architecture .NET runs on.</summary>
    private const int ClockTicksPerSecond = 100;
}
