using Serve;

namespace Pipeline;

/// <summary>The seed's diamond, authored in C#, and the application that serves it.</summary>
public static class Graphs
{
    /// <summary>
    /// The diamond: <c>m1.Forward(input[0])</c> and <c>m2.Forward(input[1])</c> run concurrently, then
    /// <c>Ensemble.Combine(…, …, input[2])</c>. Executed with (1, 2, 3) it returns 1*1 + 2*2 + 3 = 8.
    /// The two models are returned too, for an ingress that also calls them directly.
    /// </summary>
    public static Dag<int[], int> Diamond(out Application<Model> m1, out Application<Model> m2)
    {
        // Named like the seed's variables, so config entries `m1` and `m2` scale them independently.
        var model1 = m1 = Model.Bind(1).WithOptions(name: "m1");
        var model2 = m2 = Model.Bind(2).WithOptions(name: "m2");
        return Dag.Build<int[], int>(input => Ensemble.Bind().Call(
            (ensemble, a, b, c) => ensemble.Combine(a, b, c),
            model1.Call((m, x) => m.Forward(x), input.At(0)),
            model2.Call((m, x) => m.Forward(x), input.At(1)),
            input.At(2)));
    }

    /// <summary><c>import_path: Pipeline.Graphs:App</c>: the ingress with the diamond and both models.</summary>
    [ApplicationBuilder]
    public static Application<PipelineIngress> App()
    {
        var dag = Diamond(out var m1, out var m2);
        return PipelineIngress.Bind(dag, m1, m2);
    }
}
