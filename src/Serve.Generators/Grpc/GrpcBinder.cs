using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// Checks a deployment against the services it declares: one invoker per correctly bound RPC, and a diagnostic for
/// every mismatch.
/// </summary>
internal static class GrpcBinder
{
    /// <summary>Binds the RPCs of the services a deployment declares to its methods.</summary>
    /// <returns>The full names of the services it serves (the unknown ones left out) and one invoker per bound RPC.</returns>
    public static (EquatableArray<string> Services, EquatableArray<InvokerModel> Invokers) Bind(DeploymentInfo deployment, ServiceCatalog catalog, List<DiagnosticInfo> diagnostics)
    {
        // The served services.
        var served = new List<(ServiceModel Service, LocationInfo? Location)>();
        var seenServices = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reference in deployment.Services)
        {
            if (!seenServices.Add(reference.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateService, reference.Location, deployment.DeploymentName, reference.Name));
                continue;
            }
            var service = catalog.Find(reference.Name);
            if (service is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownService, reference.Location, reference.Name, SuggestService(catalog, reference.Name)));
                continue;
            }
            served.Add((service, reference.Location));
        }

        // Every RPC to bind, with the reasons some cannot be.
        var rpcs = new List<(ServiceModel Service, RpcModel Rpc, bool Bindable)>();
        foreach (var (service, location) in served)
        {
            foreach (var rpc in service.Methods)
            {
                var bindable = true;
                if (!rpc.IsResolved)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnresolvedMessageType, location, rpc.Name, service.FullName,
                        rpc.RequestClrType.Length == 0 ? rpc.RequestType : rpc.ResponseType));
                    bindable = false;
                }
                rpcs.Add((service, rpc, bindable));
            }
        }

        // Which methods claim which RPCs.
        // [Multiplexed] model loaders are not RPCs; neither are HTTP methods or lifecycle hooks (a health check named
        // like an RPC, say), unless [GrpcMethod] says so.
        var rpcMethods = deployment.Methods.Where(m => m.Multiplexed is null && ((m.Http is null && !m.IsLifecycleHook) || m.RpcName is not null)).ToList();
        var candidates = new Dictionary<(string Service, string Rpc), List<DeploymentMethodInfo>>();
        foreach (var method in rpcMethods)
        {
            var rpcName = method.RpcName ?? method.Name;
            var targets = rpcs.Where(r => r.Rpc.Name == rpcName).ToList();
            if (targets.Count == 0 && method.RpcName is not null)
            {
                var names = rpcs.Select(r => r.Rpc.Name).ToList();
                var suggestion = names.FirstOrDefault(n => string.Equals(n, method.RpcName, StringComparison.OrdinalIgnoreCase))
                    ?? names.Select(n => (Name: n, Near: EditDistance.TryNearMiss(method.RpcName, n, out var d), Distance: d))
                        .Where(c => c.Near).OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownRpc, method.RpcNameLocation ?? method.Location, method.RpcName, method.Name,
                    deployment.DeploymentName, ServedRpcs(served.Select(s => s.Service)), suggestion is null ? "" : "; did you mean '" + suggestion + "'?"));
                continue;
            }
            foreach (var target in targets)
            {
                var key = (target.Service.FullName, target.Rpc.Name);
                if (!candidates.TryGetValue(key, out var list))
                {
                    candidates[key] = list = new List<DeploymentMethodInfo>();
                }
                list.Add(method);
            }
        }

        var invokers = new List<InvokerModel>();
        var caseReported = new HashSet<DeploymentMethodInfo>();
        foreach (var (service, rpc, bindable) in rpcs)
        {
            candidates.TryGetValue((service.FullName, rpc.Name), out var methods);
            if (!bindable)
            {
                continue;
            }
            if (methods is null || methods.Count == 0)
            {
                var nearMiss = rpcMethods.FirstOrDefault(m => m.RpcName is null
                    && !string.Equals(m.Name, rpc.Name, StringComparison.Ordinal)
                    && string.Equals(m.Name, rpc.Name, StringComparison.OrdinalIgnoreCase));
                if (nearMiss is not null)
                {
                    if (caseReported.Add(nearMiss))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CaseMismatch, nearMiss.Location, nearMiss.Name, rpc.Name));
                    }
                }
                else if (Misspelled(rpcMethods, rpcs, rpc.Name, caseReported) is { } misspelled)
                {
                    // Reported on the method the user probably meant, like SERVE0004 for a case-only difference.
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingMethod, misspelled.Location ?? deployment.Location, deployment.DeploymentName, service.FullName, rpc.Name,
                        "did you mean '" + rpc.Name + "' for method '" + misspelled.Name + "'? Rename the method or add [GrpcMethod(\"" + rpc.Name + "\")] to it"));
                }
                else
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingMethod, deployment.Location, deployment.DeploymentName, service.FullName, rpc.Name,
                        "add '" + SignatureToWrite(rpc) + "' (or bind a method with another name with [GrpcMethod(\"" + rpc.Name + "\")])"));
                }
                continue;
            }
            for (var i = 1; i < methods.Count; i++)
            {
                // Signatures, not names: overloads have the same name.
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateBinding, methods[i].Location, methods[0].Signature, methods[i].Signature, rpc.Name));
            }
            if (methods[0].Batch is { IsValid: false })
            {
                // SERVE0035 says what is wrong; the RPC stays unserved.
                continue;
            }
            if (Check(methods[0], service, rpc, diagnostics) is { } invoker)
            {
                invokers.Add(invoker);
            }
        }

        return (served.Select(s => s.Service.FullName).ToEquatableArray(), invokers.ToEquatableArray());
    }

    /// <summary>Checks one method against the RPC it binds to; null (and diagnostics) when it does not fit.</summary>
    private static InvokerModel? Check(DeploymentMethodInfo method, ServiceModel service, RpcModel rpc, List<DiagnosticInfo> diagnostics)
    {
        var before = diagnostics.Count;
        void Unsupported(LocationInfo? location, string reason)
            => diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedSignature, location ?? method.Location, method.Name, rpc.Name, reason));

        if (method.IsStatic)
        {
            Unsupported(method.Location, "static methods cannot serve RPCs; make it an instance method");
        }
        if (method.IsGeneric)
        {
            Unsupported(method.Location, "generic methods cannot serve RPCs");
        }
        if (!method.IsAccessible)
        {
            Unsupported(method.Location, "it must be public or internal");
        }

        var requestDisplay = Display(rpc.RequestClrType);
        var kindText = KindText(rpc.Kind);
        var isBatch = method.Batch is not null;
        if (isBatch && rpc.Kind != RpcKind.Unary)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchMethod, method.Location, method.Name,
                "binds to " + kindText + " RPC '" + rpc.Name + "'; batched methods serve unary RPCs only (batched streaming, Ray Serve's batched generators, is not supported yet)"));
            return null;
        }
        var streamsRequests = rpc.Kind is RpcKind.ClientStreaming or RpcKind.DuplexStreaming;
        var requestStreamDisplay = "System.Collections.Generic.IAsyncEnumerable<" + requestDisplay + ">";
        var arguments = new List<ArgumentKind>();
        if (method.Parameters.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongRequestType, method.Location, method.Name, rpc.Name,
                streamsRequests ? "the request stream '" + requestStreamDisplay + "'" : "the request message '" + requestDisplay + "'", " but it has no parameters"));
        }
        else if (method.Parameters[0].Kind != ParameterKind.Other)
        {
            // (ServeRequestContext context, Request request): the request is probably further along; one diagnostic says it all.
            var first = method.Parameters[0];
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContextParameterFirst, first.Location, method.Name, rpc.Name, first.Name, first.Display,
                streamsRequests ? "stream '" + requestStreamDisplay + "'" : "message '" + requestDisplay + "'"));
        }
        else
        {
            var first = method.Parameters[0];
            if (first.IsByRef)
            {
                Unsupported(first.Location, "parameter '" + first.Name + "' is passed by reference (ref, out or in)");
            }
            else if (streamsRequests && first.AsyncStreamElement != rpc.RequestClrType)
            {
                if (first.Type == rpc.RequestClrType)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongStreamingShape, first.Location, method.Name, kindText, rpc.Name,
                        "takes a single request message '" + first.Display + "'", "take the request stream '" + requestStreamDisplay + "' as its first parameter"));
                }
                else
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongRequestType, first.Location, method.Name, rpc.Name,
                        "the request stream '" + requestStreamDisplay + "'", ", not '" + first.Display + "'"));
                }
            }
            else if (!streamsRequests && first.Type != rpc.RequestClrType)
            {
                if (first.AsyncStreamElement == rpc.RequestClrType)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongStreamingShape, first.Location, method.Name, kindText, rpc.Name,
                        "takes a request stream '" + first.Display + "'", "take the single request message '" + requestDisplay + "' as its first parameter"));
                }
                else if (isBatch)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongRequestType, first.Location, method.Name, rpc.Name,
                        "'IReadOnlyList<" + requestDisplay + ">' (a [Batch] method takes a list of request messages)", ", not 'IReadOnlyList<" + first.Display + ">'"));
                }
                else
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongRequestType, first.Location, method.Name, rpc.Name,
                        "the request message '" + requestDisplay + "'", ", not '" + first.Display + "'"));
                }
            }
            arguments.Add(ArgumentKind.Request);
            var seen = new HashSet<ParameterKind>();
            for (var i = 1; i < method.Parameters.Count; i++)
            {
                var parameter = method.Parameters[i];
                if (parameter.IsByRef)
                {
                    Unsupported(parameter.Location, "parameter '" + parameter.Name + "' is passed by reference (ref, out or in)");
                }
                else if (parameter.Kind == ParameterKind.Other)
                {
                    Unsupported(parameter.Location, "parameter '" + parameter.Name + "' of type '" + parameter.Display
                        + "' is not supported; after the request a method may only take Serve.ServeRequestContext, Serve.GrpcContext and System.Threading.CancellationToken");
                }
                else if (!seen.Add(parameter.Kind))
                {
                    Unsupported(parameter.Location, "parameter '" + parameter.Name + "' repeats a parameter of type '" + parameter.Display + "'");
                }
                else
                {
                    arguments.Add(parameter.Kind switch
                    {
                        ParameterKind.Context => ArgumentKind.Context,
                        ParameterKind.GrpcContext => ArgumentKind.GrpcContext,
                        _ => ArgumentKind.CancellationToken,
                    });
                }
            }
        }

        var ret = method.Return;
        var response = rpc.ResponseClrType;
        var responseDisplay = Display(response);
        var isStream = ret.Kind is ReturnKind.Enumerable or ReturnKind.AsyncEnumerable;
        var isSingle = ret.Kind is ReturnKind.Value or ReturnKind.Task or ReturnKind.ValueTask;
        var returns = "returns '" + ret.Display + "'";
        if (rpc.Kind is RpcKind.Unary or RpcKind.ClientStreaming)
        {
            var expected = isBatch
                ? "one '" + responseDisplay + "' per request (IReadOnlyList<" + responseDisplay + ">, " + responseDisplay + "[] or List<" + responseDisplay + ">, directly or in a Task or ValueTask)"
                : "'" + responseDisplay + "', 'Task<" + responseDisplay + ">' or 'ValueTask<" + responseDisplay + ">'";
            if (isStream)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongStreamingShape, method.ReturnTypeLocation, method.Name, kindText, rpc.Name, returns, "return " + expected));
            }
            else if (!isSingle || ret.ElementType != response)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongResponseType, method.ReturnTypeLocation, method.Name, rpc.Name, expected, ret.Display));
            }
        }
        else if (rpc.Kind == RpcKind.ServerStreaming)
        {
            var expected = "'IAsyncEnumerable<" + responseDisplay + ">' or 'IEnumerable<" + responseDisplay + ">'";
            if (isSingle && ret.ElementType == response)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongStreamingShape, method.ReturnTypeLocation, method.Name, kindText, rpc.Name, returns, "return " + expected));
            }
            else if (!isStream || ret.ElementType != response)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongResponseType, method.ReturnTypeLocation, method.Name, rpc.Name, expected, ret.Display));
            }
        }
        else
        {
            // Duplex: responses are produced while requests arrive, so a synchronous IEnumerable (which would block on them) is not allowed.
            var expected = "'IAsyncEnumerable<" + responseDisplay + ">'";
            if ((isSingle || ret.Kind == ReturnKind.Enumerable) && ret.ElementType == response)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongStreamingShape, method.ReturnTypeLocation, method.Name, kindText, rpc.Name, returns, "return " + expected));
            }
            else if (ret.Kind != ReturnKind.AsyncEnumerable || ret.ElementType != response)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongResponseType, method.ReturnTypeLocation, method.Name, rpc.Name, expected, ret.Display));
            }
        }

        if (diagnostics.Count != before)
        {
            return null;
        }
        return new InvokerModel(
            service.FullName,
            rpc.Name,
            rpc.Kind,
            rpc.RequestType,
            rpc.RequestClrType,
            rpc.ResponseType,
            rpc.ResponseClrType,
            method.Name,
            arguments.ToEquatableArray(),
            ret.Kind,
            isStream && !ret.IsExactInterface);
    }

    /// <summary>
    /// The unbound method whose name is closest to an RPC that has no method (<c>SayHelo</c> for <c>SayHello</c>), if one is
    /// close enough to be a misspelling; each method is suggested for one RPC at most (recorded in <paramref name="suggested"/>).
    /// </summary>
    private static DeploymentMethodInfo? Misspelled(List<DeploymentMethodInfo> methods, List<(ServiceModel Service, RpcModel Rpc, bool Bindable)> rpcs, string rpcName, HashSet<DeploymentMethodInfo> suggested)
    {
        DeploymentMethodInfo? best = null;
        var bestDistance = int.MaxValue;
        foreach (var method in methods)
        {
            if (method.RpcName is not null || method.IsLifecycleHook || method.OverridesObjectMember || suggested.Contains(method)
                || rpcs.Any(r => string.Equals(r.Rpc.Name, method.Name, StringComparison.OrdinalIgnoreCase))
                || !EditDistance.TryNearMiss(method.Name, rpcName, out var distance))
            {
                continue;
            }
            if (distance < bestDistance)
            {
                (best, bestDistance) = (method, distance);
            }
        }
        if (best is not null)
        {
            suggested.Add(best);
        }
        return best;
    }

    /// <summary>How many services SERVE0002 lists, and RPCs SERVE0010 lists: enough to spot the intended one.</summary>
    private const int MaxListed = 5;

    private static string SuggestService(ServiceCatalog catalog, string name)
    {
        var shortName = name.Substring(name.LastIndexOf('.') + 1);
        var matches = catalog.Services
            .Where(s => string.Equals(s.FullName, name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(s.Name, shortName, StringComparison.OrdinalIgnoreCase)
                || string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
            .Select(s => s.FullName)
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();
        if (matches.Count > 0)
        {
            return "; did you mean '" + string.Join("' or '", matches) + "'?";
        }
        if (catalog.Services.Count == 0)
        {
            return " (the compilation has no .proto services; add the file with <Protobuf Include=\"x.proto\" GrpcServices=\"None\" />)";
        }
        // The nearest by full or short name, so that a large compilation does not print every service.
        var nearest = catalog.Services
            .Select(s => (s.FullName, Distance: Math.Min(EditDistance.Between(s.FullName, name), EditDistance.Between(s.Name, shortName))))
            .OrderBy(s => s.Distance)
            .ThenBy(s => s.FullName, StringComparer.Ordinal)
            .Select(s => s.FullName)
            .ToList();
        if (nearest.Count <= MaxListed)
        {
            return " (known services: " + string.Join(", ", nearest) + ")";
        }
        var others = nearest.Count - MaxListed;
        return " (nearest known services: " + string.Join(", ", nearest.Take(MaxListed)) + "; and " + others.ToString(CultureInfo.InvariantCulture)
            + (others == 1 ? " other)" : " others)");
    }

    /// <summary>The RPCs of the served services for SERVE0010, per service (at most <see cref="MaxListed"/> each).</summary>
    private static string ServedRpcs(IEnumerable<ServiceModel> services)
    {
        var parts = services.Select(service =>
        {
            var names = service.Methods.Select(m => m.Name).ToList();
            var listed = string.Join(", ", names.Take(MaxListed));
            var others = names.Count - MaxListed;
            return service.FullName + ": " + (names.Count == 0 ? "no RPCs" : others > 0 ? listed + " and " + others.ToString(CultureInfo.InvariantCulture) + " more" : listed);
        }).ToList();
        return parts.Count == 0 ? "it serves none; name one with [GrpcService(\"package.Service\")]" : string.Join("; ", parts);
    }

    private static string SignatureToWrite(RpcModel rpc)
    {
        var request = rpc.RequestClrType.Length > 0 ? Display(rpc.RequestClrType) : rpc.RequestType;
        var response = rpc.ResponseClrType.Length > 0 ? Display(rpc.ResponseClrType) : rpc.ResponseType;
        var returnType = rpc.Kind is RpcKind.ServerStreaming or RpcKind.DuplexStreaming ? "System.Collections.Generic.IAsyncEnumerable<" + response + ">" : response;
        var parameter = rpc.Kind is RpcKind.ClientStreaming or RpcKind.DuplexStreaming
            ? "System.Collections.Generic.IAsyncEnumerable<" + request + "> requests"
            : request + " request";
        return "public " + returnType + " " + Symbols.EscapeIdentifier(rpc.Name) + "(" + parameter + ")";
    }

    private static string Display(string globalTypeName)
        => globalTypeName.StartsWith("global::", StringComparison.Ordinal) ? globalTypeName.Substring("global::".Length) : globalTypeName;

    /// <summary>The RPC shape as the diagnostics and docs write it.</summary>
    public static string KindText(RpcKind kind) => kind switch
    {
        RpcKind.Unary => "unary",
        RpcKind.ServerStreaming => "server-streaming",
        RpcKind.ClientStreaming => "client-streaming",
        _ => "bidirectional-streaming",
    };
}
