using System.Globalization;

namespace Serve.IntegrationTests.Hostile;

/// <summary>A process's memory as Linux reports it in <c>/proc/&lt;pid&gt;/status</c>.</summary>
internal static class ProcessMemory
{
    /// <summary>Resident memory now (<c>VmRSS</c>), in bytes.</summary>
    public static long Resident(int pid) => Read(pid, "VmRSS:");

    /// <summary>The highest resident memory since the process started (<c>VmHWM</c>), in bytes.</summary>
    public static long Peak(int pid) => Read(pid, "VmHWM:");

    /// <summary>Resets the peak to the current resident size (writing 5 to <c>clear_refs</c>), so that a test reads the peak of its own probe.</summary>
    public static void ResetPeak(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");

    private static long Read(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                // "VmHWM:     123456 kB"
                var kilobytes = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException($"{field} not found in /proc/{pid}/status.");
    }
}
