// The Serve generator at scale: N proto services of 4 RPCs each and N deployments serving them.
//   dotnet run -c Release --project bench/GeneratorScale -- 10 100 300
// Each N runs in a process of its own, so that the first generator run is a cold compiler's (JIT included), as in a
// build. It prints a markdown table; pin it to a core (taskset -c 1) for steadier figures.
using System.Diagnostics;
using System.Globalization;
using GeneratorScale;

if (args is ["--child", var one])
{
    Console.WriteLine(Measurement.Run(int.Parse(one, CultureInfo.InvariantCulture)).ToLine());
    return 0;
}

var sizes = args.Length == 0 ? new[] { 10, 100, 300 } : args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var results = new List<Result>();
foreach (var n in sizes)
{
    Console.Error.WriteLine("N = " + n + " ...");
    results.Add(RunChild(n));
}

Console.WriteLine("| N | cold run | bytes / deployment | output | clean build with output | per-edit deployment step: Serve | trivial | Serve / trivial | per-edit run: Serve | trivial | deployments re-emitted |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.N} | {r.ColdMs / 1000:0.00} s | {r.DeploymentBytes / r.N:#,0} B | {r.OutputBytes / 1024.0:#,0} KB | {r.BuildWithMs / r.BuildWithoutMs:0.00}× ({r.BuildWithoutMs / 1000:0.00} → {r.BuildWithMs / 1000:0.00} s) "
        + $"| {r.ServeStepMs:0.0} ms | {r.TrivialStepMs:0.0} ms | {r.ServeStepMs / r.TrivialStepMs:0.00}× | {r.ServeRunMs:0.0} ms | {r.TrivialRunMs:0.0} ms | {r.ReEmitted} |"));
}
if (results.Any(r => r.Problems > 0))
{
    Console.WriteLine();
    Console.WriteLine("Warning: the generator reported diagnostics or its output did not compile (see stderr).");
}
return 0;

static Result RunChild(int n)
{
    var self = Environment.ProcessPath!;
    var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        // Started as 'dotnet GeneratorScale.dll': the child needs the assembly too.
        start.ArgumentList.Add(typeof(Measurement).Assembly.Location);
    }
    start.ArgumentList.Add("--child");
    start.ArgumentList.Add(n.ToString(CultureInfo.InvariantCulture));
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException("The measurement of N = " + n + " failed (exit code " + process.ExitCode + ").");
    }
    return Result.Parse(output.Trim().Split('\n').Last());
}
