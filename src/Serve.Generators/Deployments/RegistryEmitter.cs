using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// Writes the module registry (the module initializer that registers deployments, application builders and descriptors)
/// and, beside it, the compilation's shared helpers.
/// </summary>
internal static class RegistryEmitter
{
    public static string Emit(RegistryModel model)
    {
        var w = new SourceWriter();
        w.Line(CSharp.Header).Line("#nullable enable")
         .Line("// CA2255: a module initializer is how a library's deployments reach the host without reflection.")
         .Line("#pragma warning disable CA2255")
         .Line();
        w.Open("namespace Serve.Generated");
        if (model.HasRegistrations)
        {
            EmitRegistry(w, model);
        }
        if (!model.Helpers.IsEmpty)
        {
            if (model.HasRegistrations)
            {
                w.Line();
            }
            SharedHelpers.Emit(w, model.AssemblyName, model.Helpers);
        }
        w.Close();
        return w.ToString();
    }

    private static void EmitRegistry(SourceWriter w, RegistryModel model)
    {
        w.Line("/// <summary>Registers this assembly's deployments, application builders and <c>.proto</c> file descriptors with <c>Serve.Dispatch.ServeRegistry</c>.</summary>");
        w.Line(CSharp.GeneratedCodeAttribute);
        w.Open("internal static class ServeModuleRegistry_" + CSharp.Identifier(model.AssemblyName));
        w.Line("/// <summary>Runs when the assembly loads.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.ModuleInitializer]");
        w.Open("internal static void Register()");
        foreach (var deployment in model.Deployments)
        {
            w.Line(CSharp.Dispatch + "ServeRegistry.AddDeployment(" + deployment + ".ServeDefinition);");
        }
        foreach (var builder in model.Builders)
        {
            w.Line(CSharp.Dispatch + "ServeRegistry.AddApplicationBuilder(" + CSharp.Literal(builder.ImportPath) + ", static args => " + builder.Expression + ");");
        }
        foreach (var descriptor in model.FileDescriptors)
        {
            w.Line(CSharp.Dispatch + "ServeRegistry.AddFileDescriptor(static () => " + descriptor + ".Descriptor);");
        }
        w.Close();
        w.Close();
    }
}
