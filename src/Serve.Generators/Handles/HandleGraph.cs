using System;
using System.Collections.Generic;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// The handle graph of the compilation: an edge from each deployment to every deployment its constructor takes a
/// handle to. A cycle can never be bound into one application, so every deployment on one is reported.
/// </summary>
internal static class HandleGraph
{
    /// <summary>A deployment's node: the deployments its constructor takes handles to; null when there are none.</summary>
    public static HandleGraphNode? Node(DeploymentInfo? info)
    {
        if (info is null || info.HandleParameters.IsEmpty)
        {
            return null;
        }
        var dependencies = info.HandleParameters.Where(p => p.TargetIsDeployment).Select(p => p.Target).ToEquatableArray();
        return dependencies.IsEmpty ? null : new HandleGraphNode(info.GlobalTypeName, info.FullTypeName, dependencies, info.Location);
    }

    /// <summary>
    /// Reports every deployment on a cycle of constructor handles (A takes a handle to B, B one to A; or A one to
    /// itself), with the cycle as a path starting at that deployment.
    /// </summary>
    public static EquatableArray<DiagnosticInfo> FindCycles(IEnumerable<HandleGraphNode> nodes)
    {
        var graph = new Dictionary<string, HandleGraphNode>(StringComparer.Ordinal);
        foreach (var node in nodes.OrderBy(n => n.GlobalTypeName, StringComparer.Ordinal))
        {
            if (!graph.ContainsKey(node.GlobalTypeName))
            {
                graph.Add(node.GlobalTypeName, node);
            }
        }
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var node in graph.Values)
        {
            var cycle = ShortestCycle(node.GlobalTypeName, graph);
            if (cycle is not null)
            {
                var path = string.Join(" \u2192 ", cycle.Select(n => graph[n].FullTypeName));
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HandleCycle, node.Location, node.FullTypeName, path));
            }
        }
        return diagnostics.ToEquatableArray();
    }

    /// <summary>The shortest path from <paramref name="start"/> back to itself (breadth first, neighbours in ordinal order); null when there is none.</summary>
    private static List<string>? ShortestCycle(string start, Dictionary<string, HandleGraphNode> graph)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            foreach (var next in graph[current].Dependencies.Distinct().OrderBy(d => d, StringComparer.Ordinal))
            {
                if (next == start)
                {
                    var path = new List<string> { start };
                    for (var at = current; at != start; at = previous[at])
                    {
                        path.Insert(1, at);
                    }
                    path.Add(start);
                    return path;
                }
                if (graph.ContainsKey(next) && !previous.ContainsKey(next))
                {
                    previous[next] = current;
                    queue.Enqueue(next);
                }
            }
        }
        return null;
    }
}
