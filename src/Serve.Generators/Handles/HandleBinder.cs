using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// Decides the typed handle of a deployment: which of its public methods a <c>DeploymentHandle&lt;T&gt;</c>
/// extension method can call, and how each passes its arguments and returns; and checks the handles its
/// constructor takes (the cycles they form are <see cref="HandleGraph"/>'s).
/// </summary>
internal static class HandleBinder
{
    public static HandleExtensionsModel? Bind(DeploymentInfo deployment, List<DiagnosticInfo> diagnostics)
    {
        foreach (var parameter in deployment.HandleParameters)
        {
            if (!parameter.TargetIsDeployment)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HandleOfNonDeployment, parameter.Location, parameter.Name, parameter.TargetDisplay));
            }
            if (parameter.MarkedFromServices)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HandleFromServices, parameter.Location, parameter.Name, parameter.TargetDisplay));
            }
        }
        foreach (var parameter in deployment.ApplicationParameters)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BoundDeploymentParameter, parameter.Location, parameter.Name, parameter.TypeDisplay));
        }
        if (!deployment.IsAccessible)
        {
            return null;
        }

        var callable = deployment.Methods.Concat(deployment.InheritedMethods).Where(IsCallable).ToList();
        // Overloads that differ only in injected parameters (M(x) and M(x, CancellationToken)) would make the same handle
        // method: keep the one that receives the most, e.g. the call's cancellation (the first declared on a tie).
        var chosen = new HashSet<DeploymentMethodInfo>(callable
            .GroupBy(m => m.Name + "(" + string.Join(",", m.Parameters.Where(p => p.Kind == ParameterKind.Other).Select(p => p.Type)) + ")", StringComparer.Ordinal)
            .Select(overloads => overloads.OrderByDescending(m => m.Parameters.Count(p => p.Kind != ParameterKind.Other)).First()));
        var methods = new List<HandleMethodModel>();
        foreach (var method in callable.Where(chosen.Contains))
        {
            var model = BindMethod(method);
            if (IsHidden(model))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HandleMemberConflict, method.Location, method.Name, deployment.FullTypeName));
                continue;
            }
            methods.Add(model);
        }
        if (methods.Count == 0)
        {
            return null;
        }
        var className = string.Concat(deployment.ContainingTypes.Select(t => t.Name)) + deployment.ClassName + "HandleExtensions";
        return new HandleExtensionsModel(className, deployment.IsPublic, methods.ToEquatableArray());
    }

    /// <summary>Public, instance, non-generic, not a model loader or a lifecycle hook, with parameters and a result a handle can carry.</summary>
    private static bool IsCallable(DeploymentMethodInfo method)
        => method.IsPublic
            && !method.IsStatic
            && !method.IsGeneric
            && method.Multiplexed is null
            && method.Batch is not { IsValid: false }
            && !method.OverridesObjectMember
            && !method.IsLifecycleHook
            && method.Return.CanBeTypeArgument
            && method.Parameters.All(p => !p.IsByRef && p.CanBeTypeArgument && p.Kind != ParameterKind.GrpcContext);

    /// <summary>
    /// True when a member of <c>DeploymentHandle&lt;T&gt;</c> would hide the handle method. C# looks at extension methods
    /// only when no instance member applies: a property of the same name always hides one; a method hides it for the calls
    /// it accepts too. <c>Call</c>, <c>CallVoid</c> and <c>Stream</c> take a delegate built for them, which no handle
    /// argument converts to, so they never hide one.
    /// </summary>
    private static bool IsHidden(HandleMethodModel method)
    {
        var values = method.Arguments.Where(a => a.Kind == HandleArgumentKind.Value).ToList();
        var required = values.Count(a => a.DefaultValue is null);
        // The handle method accepts from 'required' to 'values + 1' (the trailing token) arguments.
        bool Accepts(int count) => required <= count && count <= values.Count + 1;
        return method.MethodName switch
        {
            "ApplicationName" or "DeploymentName" or "MultiplexedModelId" or "Timeout" => true,
            // Options(string? multiplexedModelId = null, TimeSpan? timeout = null).
            "Options" => Accepts(0) || (values.Count > 0 && values[0].Type is "string" or "string?" or "object" or "object?"),
            "ToString" or "GetHashCode" or "GetType" => Accepts(0),
            "Equals" => Accepts(1),
            _ => false,
        };
    }

    private static HandleMethodModel BindMethod(DeploymentMethodInfo method)
    {
        var taken = new HashSet<string>(method.Parameters.Where(p => p.Kind == ParameterKind.Other).Select(p => p.Name), StringComparer.Ordinal);
        var handleName = Unique("handle", taken);
        var tokenName = Unique("cancellationToken", taken);
        var callName = Unique("__call", taken);
        var instanceName = Unique("__d", taken);
        var invokeTokenName = Unique("__ct", taken);

        // An optional parameter stays optional only when every exposed parameter after it is (a params array is not).
        var keepsDefault = new bool[method.Parameters.Count];
        var optionalTail = true;
        for (var i = method.Parameters.Count - 1; i >= 0; i--)
        {
            var parameter = method.Parameters[i];
            if (parameter.Kind != ParameterKind.Other)
            {
                continue;
            }
            optionalTail &= parameter.DefaultValue is not null;
            keepsDefault[i] = optionalTail;
        }

        var arguments = new List<HandleArgumentModel>();
        for (var i = 0; i < method.Parameters.Count; i++)
        {
            var parameter = method.Parameters[i];
            arguments.Add(parameter.Kind switch
            {
                ParameterKind.CancellationToken => new HandleArgumentModel(HandleArgumentKind.CancellationToken, "", "", parameter.AnnotatedType, null),
                ParameterKind.Context => new HandleArgumentModel(HandleArgumentKind.Context, "", "", parameter.AnnotatedType, null),
                _ => new HandleArgumentModel(HandleArgumentKind.Value, Symbols.EscapeIdentifier(parameter.Name), Unique("__" + parameter.Name, taken),
                    parameter.AnnotatedType, keepsDefault[i] ? parameter.DefaultValue : null),
            });
        }

        var ret = method.Return;
        var (shape, kind, result) = ret.Kind switch
        {
            ReturnKind.Void or ReturnKind.NonGenericTask or ReturnKind.NonGenericValueTask => (HandleShape.Void, ret.Kind, ""),
            ReturnKind.Task or ReturnKind.ValueTask => (HandleShape.Value, ret.Kind, ret.AnnotatedElementType),
            ReturnKind.AsyncEnumerable => (HandleShape.AsyncStream, ret.Kind, ret.AnnotatedElementType),
            // An iterator (IEnumerable<T> itself) streams; a collection (List<T>, T[]) is a value.
            ReturnKind.Enumerable when ret.IsExactInterface => (HandleShape.SyncStream, ret.Kind, ret.AnnotatedElementType),
            _ => (HandleShape.Value, ReturnKind.Value, ret.AnnotatedType),
        };

        return new HandleMethodModel(
            Symbols.EscapeIdentifier(method.Name),
            method.Name,
            method.Cref,
            shape,
            kind,
            result,
            arguments.ToEquatableArray(),
            handleName,
            tokenName,
            callName,
            instanceName,
            invokeTokenName,
            method.ObsoleteMessage,
            shape == HandleShape.AsyncStream && !ret.IsExactInterface);
    }

    /// <summary><paramref name="name"/>, or with a suffix when a parameter or generated name already has it; keywords avoided.</summary>
    private static string Unique(string name, HashSet<string> taken)
    {
        var candidate = name;
        for (var n = 2; taken.Contains(candidate) || SyntaxFacts.GetKeywordKind(candidate) != SyntaxKind.None; n++)
        {
            candidate = name + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        taken.Add(candidate);
        return candidate;
    }
}
