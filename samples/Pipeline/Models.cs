using Serve;

namespace Pipeline;

/// <summary>
/// The seed's <c>Model</c>: <c>forward(input) = val * input</c>. The pipeline binds it twice, as
/// <c>m1 = Model(1)</c> and <c>m2 = Model(2)</c>; each is its own deployment, scaled on its own.
/// </summary>
[Deployment]
public sealed partial class Model(int val)
{
    /// <summary>The model's weight times <paramref name="input"/>.</summary>
    public int Forward(int input) => checked(val * input);
}

/// <summary>The seed's <c>ensemble(a, b, c) = a + b + c</c>, as a deployment of its own.</summary>
[Deployment]
public sealed partial class Ensemble
{
    /// <summary>Sums the two model outputs and the input's third element.</summary>
    public int Combine(int a, int b, int c) => checked(a + b + c);
}
