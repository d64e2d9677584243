using Serve.Dispatch;

namespace Serve.Runtime.Tests.Hosting;

/// <summary>What an import path naming a deployment class resolves to (Ray's <c>module:Deployment</c> form).</summary>
public sealed class ImportPathTests
{
    [Fact]
    public void A_deployment_whose_Bind_takes_arguments_is_refused_saying_how_many_and_how_to_serve_it()
    {
        var typeName = "Tests.ImportPath.Needs" + Guid.NewGuid().ToString("N");
        ServeRegistry.AddDeployment(new DeploymentDefinition("Needs", typeName, new DeploymentOptions(), 2, (_, _) => new object(), [], []));

        Assert.False(ServeRegistry.TryBuild(typeName, ApplicationArgs.Empty, out var application, out var error));

        Assert.Null(application);
        Assert.Equal(
            $"Deployment '{typeName}' takes 2 Bind argument(s); name an [ApplicationBuilder] member that binds them instead, "
            + "or mark [FromServices] the constructor parameters that are services of the host.",
            error);
    }

    [Fact]
    public void A_deployment_whose_constructor_takes_only_services_is_served_by_its_class_name()
    {
        var typeName = "Tests.ImportPath.Services" + Guid.NewGuid().ToString("N");
        ServeRegistry.AddDeployment(new DeploymentDefinition("Services", typeName, new DeploymentOptions(), 0, (_, services) => services, [], []));

        Assert.True(ServeRegistry.TryBuild(typeName, ApplicationArgs.Empty, out var application, out _));

        Assert.Same(DeploymentServices.None, application!.CreateInstance(DeploymentServices.None));
    }
}
