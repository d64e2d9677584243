using System.Globalization;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Serve.Dispatch;
using static Serve.Generators.Tests.ServeGeneratorTest;

namespace Serve.Generators.Tests;

/// <summary>
/// Health checks (Ray Serve's <c>check_health</c>): every supported shape found by <c>[HealthCheck]</c> or by name and
/// called through <see cref="DeploymentDefinition.HealthCheck"/>, what is not a health check, SERVE0042 and SERVE0043,
/// and that the check is neither a handle method nor an RPC.
/// </summary>
public class HealthCheckGeneratorTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>
    /// One deployment per shape. Each records the token it was given in <c>Seen</c>; with <c>Healthy</c> false a bool
    /// check returns false and any other throws <c>Unhealthy()</c>, the user's own exception.
    /// </summary>
    private const string Source = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;

        namespace Health.Tests;

        public sealed class ProbeFailedException(string message) : Exception(message);

        public abstract class ProbeState
        {
            public bool Healthy { get; set; } = true;

            public CancellationToken Seen { get; protected set; }

            public int Calls { get; protected set; }

            protected Exception Unhealthy() => new ProbeFailedException(GetType().Name + " is unhealthy");
        }

        // void, found by [HealthCheck] on a method of any name.
        [Deployment]
        public partial class VoidProbe : ProbeState
        {
            [HealthCheck]
            public void Probe()
            {
                Calls++;
                if (!Healthy) throw Unhealthy();
            }
        }

        [Deployment]
        public partial class VoidProbeWithToken : ProbeState
        {
            [HealthCheck]
            public void Probe(CancellationToken cancellationToken)
            {
                Calls++;
                Seen = cancellationToken;
                if (!Healthy) throw Unhealthy();
            }
        }

        // Task, found by Ray's name.
        [Deployment]
        public partial class TaskProbe : ProbeState
        {
            public async Task CheckHealthAsync()
            {
                await Task.Yield();
                Calls++;
                if (!Healthy) throw Unhealthy();
            }
        }

        [Deployment]
        public partial class TaskProbeWithToken : ProbeState
        {
            public async Task CheckHealthAsync(CancellationToken cancellationToken)
            {
                Seen = cancellationToken;
                await Task.Yield();
                Calls++;
                if (!Healthy) throw Unhealthy();
            }
        }

        // ValueTask, completed synchronously (a faulted task, not a throw) and asynchronously.
        [Deployment]
        public partial class ValueTaskProbe : ProbeState
        {
            [HealthCheck]
            public ValueTask Ready()
            {
                Calls++;
                return Healthy ? default : ValueTask.FromException(Unhealthy());
            }
        }

        [Deployment]
        public partial class ValueTaskProbeWithToken : ProbeState
        {
            public async ValueTask CheckHealthAsync(CancellationToken cancellationToken)
            {
                Seen = cancellationToken;
                await Task.Yield();
                Calls++;
                if (!Healthy) throw Unhealthy();
            }
        }

        // bool, by name and as a private [HealthCheck] method.
        [Deployment]
        public partial class BoolProbe : ProbeState
        {
            public bool CheckHealth()
            {
                Calls++;
                return Healthy;
            }
        }

        [Deployment]
        public partial class BoolProbeWithToken : ProbeState
        {
            [HealthCheck]
            private bool IsAlive(CancellationToken cancellationToken)
            {
                Calls++;
                Seen = cancellationToken;
                return Healthy;
            }
        }

        // Task<bool>.
        [Deployment]
        public partial class TaskBoolProbe : ProbeState
        {
            public async Task<bool> CheckHealthAsync()
            {
                await Task.Yield();
                Calls++;
                return Healthy;
            }
        }

        [Deployment]
        public partial class TaskBoolProbeWithToken : ProbeState
        {
            [HealthCheck]
            public Task<bool> Alive(CancellationToken cancellationToken)
            {
                Calls++;
                Seen = cancellationToken;
                return Task.FromResult(Healthy);
            }
        }

        // ValueTask<bool>: a private [HealthCheck] completed synchronously, and by name awaiting (the snapshot's deployment).
        [Deployment]
        public partial class ValueTaskBoolProbe : ProbeState
        {
            [HealthCheck]
            private ValueTask<bool> Ping()
            {
                Calls++;
                return new(Healthy);
            }
        }

        [Deployment]
        public partial class ValueTaskBoolProbeWithToken : ProbeState
        {
            public int Forward(int x) => x * 2;

            public async ValueTask<bool> CheckHealthAsync(CancellationToken cancellationToken)
            {
                Seen = cancellationToken;
                await Task.Yield();
                Calls++;
                return Healthy;
            }
        }

        // A bool check that throws: the user's exception, not "returned false".
        [Deployment]
        public partial class ThrowingBoolProbe : ProbeState
        {
            public bool CheckHealth()
            {
                Calls++;
                return Healthy ? true : throw Unhealthy();
            }
        }

        // Inherited from a base class by name.
        public abstract class CheckedBase : ProbeState
        {
            public bool CheckHealth()
            {
                Calls++;
                return Healthy;
            }
        }

        [Deployment]
        public partial class InheritedProbe : CheckedBase
        {
            public int Forward(int x) => x + 1;
        }

        // A [HealthCheck] method wins over CheckHealth by name.
        [Deployment]
        public partial class MarkedWins : ProbeState
        {
            public int CheckHealthCalls { get; private set; }

            [HealthCheck]
            public bool Probe()
            {
                Calls++;
                return Healthy;
            }

            public bool CheckHealth()
            {
                CheckHealthCalls++;
                return false;
            }
        }

        // No health check at all; and a method named CheckHealth that takes a request is an ordinary method.
        [Deployment]
        public partial class Unchecked
        {
            public int Forward(int x) => x;
        }

        [Deployment]
        public partial class NamedLikeACheck
        {
            public string CheckHealth(string target) => target + " is fine";
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHarness.BuildAndLoad(Source));

    /// <summary>Deployment, the method's name, whether it takes the token, and whether it returns bool (false fails it).</summary>
    public static TheoryData<string, string, bool, bool> Shapes => new()
    {
        { "VoidProbe", "Probe", false, false },
        { "VoidProbeWithToken", "Probe", true, false },
        { "TaskProbe", "CheckHealthAsync", false, false },
        { "TaskProbeWithToken", "CheckHealthAsync", true, false },
        { "ValueTaskProbe", "Ready", false, false },
        { "ValueTaskProbeWithToken", "CheckHealthAsync", true, false },
        { "BoolProbe", "CheckHealth", false, true },
        { "BoolProbeWithToken", "IsAlive", true, true },
        { "TaskBoolProbe", "CheckHealthAsync", false, true },
        { "TaskBoolProbeWithToken", "Alive", true, true },
        { "ValueTaskBoolProbe", "Ping", false, true },
        { "ValueTaskBoolProbeWithToken", "CheckHealthAsync", true, true },
        { "ThrowingBoolProbe", "CheckHealth", false, false },
        { "InheritedProbe", "CheckHealth", false, true },
        { "MarkedWins", "Probe", false, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_healthy_check_completes_and_gets_the_token_given(string deployment, string method, bool takesToken, bool returnsBool)
    {
        _ = (method, returnsBool);
        var (check, instance) = Checked(deployment);
        using var cts = new CancellationTokenSource();

        await check(instance, cts.Token).AsTask().WaitAsync(Guard);

        Assert.Equal(1, Get<int>(instance, "Calls"));
        Assert.Equal(takesToken ? cts.Token : default, Get<CancellationToken>(instance, "Seen"));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task An_unhealthy_check_fails_with_rays_message_or_the_users_exception(string deployment, string method, bool takesToken, bool returnsBool)
    {
        var (check, instance) = Checked(deployment);
        instance.GetType().GetProperty("Healthy")!.SetValue(instance, false);
        using var cts = new CancellationTokenSource();

        var ex = await Assert.ThrowsAnyAsync<Exception>(async () => await check(instance, cts.Token).AsTask().WaitAsync(Guard));

        if (returnsBool)
        {
            Assert.IsType<InvalidOperationException>(ex);
            Assert.Equal(method + " returned false.", ex.Message);
        }
        else
        {
            Assert.Equal("Health.Tests.ProbeFailedException", ex.GetType().FullName);
            Assert.Equal(deployment + " is unhealthy", ex.Message);
        }
        Assert.Equal(1, Get<int>(instance, "Calls"));
        Assert.Equal(takesToken ? cts.Token : default, Get<CancellationToken>(instance, "Seen"));
    }

    [Fact]
    public async Task A_cancelled_token_reaches_the_check()
    {
        var (check, instance) = Checked("TaskProbeWithToken");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await check(instance, cts.Token).AsTask().WaitAsync(Guard);

        Assert.True(Get<CancellationToken>(instance, "Seen").IsCancellationRequested);
    }

    [Fact]
    public async Task A_marked_method_wins_over_CheckHealth_by_name()
    {
        var (check, instance) = Checked("MarkedWins");
        await check(instance, CancellationToken.None).AsTask().WaitAsync(Guard);
        await check(instance, CancellationToken.None).AsTask().WaitAsync(Guard);
        Assert.Equal(2, Get<int>(instance, "Calls"));
        Assert.Equal(0, Get<int>(instance, "CheckHealthCalls"));
    }

    [Fact]
    public void A_deployment_without_a_check_has_none()
    {
        Assert.Null(Definition("Unchecked").HealthCheck);
    }

    [Fact]
    public void CheckHealth_taking_a_request_is_an_ordinary_method()
    {
        Assert.Null(Definition("NamedLikeACheck").HealthCheck);
        // Still callable through handles, like any other method.
        var extensions = s_assembly.Value.GetType("Health.Tests.NamedLikeACheckHandleExtensions", throwOnError: true)!;
        Assert.Single(extensions.GetMethods(BindingFlags.Public | BindingFlags.Static), m => m.Name == "CheckHealth");
    }

    [Fact]
    public void A_grpc_method_named_CheckHealth_is_no_health_check_and_reports_nothing()
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos("""
            using Serve;
            using Userdefinedprotos;

            namespace D;

            [Deployment, GrpcService("userdefinedprotos.ImageClassificationService")]
            public partial class C
            {
                [GrpcMethod("Predict")]
                public ImageClass CheckHealth(ImageData image) => new();
            }
            """));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var generated = GeneratedDeployment(output, "C");
        Assert.DoesNotContain("HealthCheck =", generated, StringComparison.Ordinal);
        Assert.Contains("((global::D.C)instance).CheckHealth(", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void Health_checks_get_no_handle_methods()
    {
        foreach (var (deployment, hidden) in new[] { ("ValueTaskBoolProbeWithToken", "CheckHealthAsync"), ("InheritedProbe", "CheckHealth") })
        {
            var extensions = s_assembly.Value.GetType("Health.Tests." + deployment + "HandleExtensions", throwOnError: true)!;
            var names = extensions.GetMethods(BindingFlags.Public | BindingFlags.Static).Select(m => m.Name).ToList();
            Assert.Contains("Forward", names);
            Assert.DoesNotContain(hidden, names);
        }
        // A deployment whose only method is its check has nothing to call through a handle.
        Assert.Null(s_assembly.Value.GetType("Health.Tests.VoidProbeHandleExtensions"));
        Assert.Null(s_assembly.Value.GetType("Health.Tests.BoolProbeHandleExtensions"));
    }

    private const string EchoMethods = """
            public EchoReply Say(EchoRequest request) => new();
            public IEnumerable<EchoReply> SayMany(EchoRequest request) { yield break; }
            public StringValue Ping(Empty request) => new();
            public EchoRequest.Types.Inner.Types.Deeper Nested(EchoRequest.Types.Inner request) => new();
        """;

    private const string GrpcUsings = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Google.Protobuf.WellKnownTypes;
        using Serve;
        using Serve.Tests.Protos;
        using Userdefinedprotos;

        namespace D;

        """;

    [Fact]
    public void A_check_beside_a_grpc_service_is_neither_bound_nor_reported()
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(GrpcUsings + $$"""
            [Deployment, GrpcService("serve.tests.Echo")]
            public partial class C
            {
            {{EchoMethods}}
                public ValueTask<bool> CheckHealthAsync(CancellationToken cancellationToken) => new(true);
            }
            """));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var generated = GeneratedDeployment(output, "C");
        Assert.Contains("HealthCheck = static (instance, cancellationToken) => global::Serve.Dispatch.HealthCheckCalls.FromResult(((global::D.C)instance).CheckHealthAsync(cancellationToken), \"CheckHealthAsync\"),", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void A_check_named_like_an_rpc_does_not_bind_to_it()
    {
        // Ping(Empty) serves the RPC; the parameterless Ping is the health check, not a second method for the RPC.
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(GrpcUsings + $$"""
            [Deployment, GrpcService("serve.tests.Echo")]
            public partial class C
            {
            {{EchoMethods}}
                [HealthCheck] public bool Ping() => true;
            }
            """));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var generated = GeneratedDeployment(output, "C");
        Assert.Contains("HealthCheckCalls.FromResult(((global::D.C)instance).Ping(), \"Ping\")", generated, StringComparison.Ordinal);
        Assert.Contains("((global::D.C)instance).Ping(global::Serve.Dispatch.GrpcDispatch.Parse(global::Google.Protobuf.WellKnownTypes.Empty.Parser,", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void A_check_is_never_suggested_for_an_rpc_without_a_method()
    {
        // No method serves Predict: SERVE0003 asks for one on the class; the checks, near misses of the RPC's name, are not offered.
        foreach (var check in new[] { "[HealthCheck] public bool Predikt() => true;", "[HealthCheck] public bool predict() => true;" })
        {
            var diagnostics = GeneratorHarness.GeneratorDiagnostics(GrpcUsings + """
                [Deployment, GrpcService("userdefinedprotos.ImageClassificationService")]
                public partial class C
                {
                    CHECK
                }
                """.Replace("CHECK", check, StringComparison.Ordinal));
            var diagnostic = Assert.Single(diagnostics);
            Assert.Equal("SERVE0003", diagnostic.Id);
            Assert.StartsWith("Deployment 'C' serves 'userdefinedprotos.ImageClassificationService' but has no method for RPC 'Predict'; add '",
                diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
    }

    private const string Expected = "[HealthCheck] public ValueTask CheckHealthAsync(CancellationToken cancellationToken)";

    private const string DiagnosticUsings = """
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;

        namespace D;

        """;

    [Fact]
    public Task SERVE0042_is_reported_on_the_second_marked_method()
        => VerifyAsync(DiagnosticUsings + """
            [Deployment]
            public partial class C
            {
                [HealthCheck] public bool Ready() => true;
                [HealthCheck] public Task {|#0:Live|}(CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """,
            Diagnostic("SERVE0042").WithLocation(0).WithArguments("D.C", "Ready()", "Live(CancellationToken)"));

    [Fact]
    public Task SERVE0042_is_reported_for_CheckHealth_and_CheckHealthAsync_both()
        => VerifyAsync(DiagnosticUsings + """
            [Deployment]
            public partial class C
            {
                public bool CheckHealth() => true;
                public ValueTask<bool> {|#0:CheckHealthAsync|}(CancellationToken cancellationToken) => new(true);
            }
            """,
            Diagnostic("SERVE0042").WithLocation(0).WithArguments("D.C", "CheckHealth()", "CheckHealthAsync(CancellationToken)"));

    [Fact]
    public Task SERVE0042_is_reported_for_a_declared_and_an_inherited_check()
        => VerifyAsync(DiagnosticUsings + """
            public class Base
            {
                public bool {|#0:CheckHealth|}() => true;
            }

            [Deployment]
            public partial class C : Base
            {
                public Task CheckHealthAsync() => Task.CompletedTask;
            }
            """,
            Diagnostic("SERVE0042").WithLocation(0).WithArguments("D.C", "CheckHealthAsync()", "CheckHealth()"));

    [Fact]
    public void SERVE0042_message()
    {
        var diagnostic = Assert.Single(GeneratorHarness.GeneratorDiagnostics(DiagnosticUsings
            + "[Deployment] public partial class C { [HealthCheck] public void A() { } [HealthCheck] public void B() { } }"));
        Assert.Equal(("SERVE0042", DiagnosticSeverity.Error), (diagnostic.Id, diagnostic.Severity));
        Assert.Equal(
            "Deployment 'D.C' has more than one health check: 'A()' and 'B()'; Serve calls one, so keep one [HealthCheck] method (or one method named CheckHealth or CheckHealthAsync)",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_marked_method_beside_CheckHealth_reports_nothing()
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(DiagnosticUsings + """
            [Deployment]
            public partial class C
            {
                [HealthCheck] public bool Ready() => true;
                public bool CheckHealth() => true;
                public Task CheckHealthAsync(CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Contains("HealthCheckCalls.FromResult(((global::D.C)instance).Ready(), \"Ready\")", GeneratedDeployment(output, "C"), StringComparison.Ordinal);
    }

    /// <summary>The method (marked up <c>{|#0:Name|}</c>), its signature and what is wrong with it.</summary>
    public static TheoryData<string, string, string> InvalidChecks => new()
    {
        { "[HealthCheck] public static bool {|#0:Check|}() => true;", "Check()", "is static" },
        { "[HealthCheck] public bool {|#0:Check|}<T>() => true;", "Check<T>()", "is generic" },
        { "[HealthCheck] public bool {|#0:Check|}(int x) => x > 0;", "Check(int)", "takes (int)" },
        { "[HealthCheck] public bool {|#0:Check|}(CancellationToken a, CancellationToken b) => true;", "Check(CancellationToken, CancellationToken)", "takes (System.Threading.CancellationToken, System.Threading.CancellationToken)" },
        { "[HealthCheck] public bool {|#0:Check|}(ref CancellationToken cancellationToken) => true;", "Check(ref CancellationToken)", "takes (by-reference System.Threading.CancellationToken)" },
        { "[HealthCheck] public int {|#0:Check|}() => 1;", "Check()", "returns 'int'" },
        { "public Task<string> {|#0:CheckHealthAsync|}() => Task.FromResult(\"ok\");", "CheckHealthAsync()", "returns 'System.Threading.Tasks.Task<string>'" },
        { "public bool? {|#0:CheckHealth|}(CancellationToken cancellationToken) => true;", "CheckHealth(CancellationToken)", "returns 'bool?'" },
        { "public void {|#0:CheckHealth|}<T>() { }", "CheckHealth<T>()", "is generic" },
        { "[HealthCheck] public static string {|#0:Check|}(int x) => \"\";", "Check(int)", "is static and takes (int) and returns 'string'" },
    };

    [Theory]
    [MemberData(nameof(InvalidChecks))]
    public Task SERVE0043_is_reported_on_the_method_with_what_is_wrong(string method, string signature, string problem)
        => VerifyAsync(DiagnosticUsings + "[Deployment] public partial class C { " + method + " }",
            Diagnostic("SERVE0043").WithLocation(0).WithArguments(signature, problem, Expected));

    [Fact]
    public void SERVE0043_message()
    {
        var diagnostic = Assert.Single(GeneratorHarness.GeneratorDiagnostics(DiagnosticUsings
            + "[Deployment] public partial class C { [HealthCheck] public int Check(string probe) => 1; }"));
        Assert.Equal(("SERVE0043", DiagnosticSeverity.Error), (diagnostic.Id, diagnostic.Severity));
        Assert.Equal(
            "Health check 'Check(string)' takes (string) and returns 'int'; declare it as an instance method taking nothing or a CancellationToken and returning void, Task, "
            + "ValueTask, bool, Task<bool> or ValueTask<bool>, e.g. [HealthCheck] public ValueTask CheckHealthAsync(CancellationToken cancellationToken)",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Methods_named_CheckHealth_that_are_not_checks_report_nothing()
    {
        // Taking a request, static (without [HealthCheck]) or taking more than the token: not the health check by name, and still a handle method.
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(DiagnosticUsings + """
            [Deployment] public partial class A { public string CheckHealth(string target) => target; }
            [Deployment] public partial class B { public static bool CheckHealth() => true; public int Forward(int x) => x; }
            [Deployment] public partial class E { public Task<int> CheckHealthAsync(int attempts, CancellationToken cancellationToken) => Task.FromResult(attempts); }
            """));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        foreach (var deployment in new[] { "A", "B", "E" })
        {
            Assert.DoesNotContain("HealthCheck =", GeneratedDeployment(output, deployment), StringComparison.Ordinal);
        }
        Assert.Contains(" CheckHealthAsync(this ", GeneratedDeployment(output, "E"), StringComparison.Ordinal);
    }

    [Fact]
    public void Output_matches_snapshot()
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(Source));
        Assert.Empty(diagnostics);
        Snapshot.Match("Health.Tests.ValueTaskBoolProbeWithToken.Serve", GeneratorHarness.GeneratedSource(result, "Health.Tests.ValueTaskBoolProbeWithToken.Serve.g.cs"));
    }

    [Fact]
    public void Editing_a_health_check_body_leaves_every_step_cached_or_unchanged()
    {
        var before = GeneratorHarness.CompileWithProtos(Source);
        // The same length: every later location stays where it was.
        var edited = Source.Replace("Calls++;", "++Calls;", StringComparison.Ordinal);
        Assert.NotEqual(Source, edited);
        var after = before.ReplaceSyntaxTree(before.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs"), CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Deployment.cs"));
        IncrementalityTests.AssertIncremental(before, after, rebindsDiagnostics: false);
    }

    private static DeploymentDefinition Definition(string deployment)
        => (DeploymentDefinition)s_assembly.Value.GetType("Health.Tests." + deployment, throwOnError: true)!
            .GetProperty("ServeDefinition", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>The deployment's health check and a fresh instance to call it on.</summary>
    private static (Func<object, CancellationToken, ValueTask> Check, object Instance) Checked(string deployment)
    {
        var definition = Definition(deployment);
        Assert.NotNull(definition.HealthCheck);
        return (definition.HealthCheck!, definition.Factory([], DeploymentServices.None));
    }

    private static T Get<T>(object instance, string property) => (T)instance.GetType().GetProperty(property)!.GetValue(instance)!;

    /// <summary>The generated source of deployment <c>D.{name}</c> in a compilation the generator ran on.</summary>
    private static string GeneratedDeployment(Compilation output, string name)
        => output.SyntaxTrees.Single(t => t.FilePath.EndsWith("D." + name + ".Serve.g.cs", StringComparison.Ordinal)).ToString();
}
