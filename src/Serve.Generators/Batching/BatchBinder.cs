using System;
using System.Collections.Generic;
using System.Globalization;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Checks the <c>[Batch]</c> methods of a deployment and decides their per-item overloads.</summary>
internal static class BatchBinder
{
    public static EquatableArray<BatchModel> Bind(DeploymentInfo deployment, List<DiagnosticInfo> diagnostics)
    {
        var models = new List<BatchModel>();
        foreach (var method in deployment.Methods)
        {
            if (method.Batch is not { } batch)
            {
                continue;
            }
            if (!batch.IsValid)
            {
                var expected = "Task<IReadOnlyList<" + batch.ResultDisplay + ">> " + method.Name + "(IReadOnlyList<" + batch.ItemDisplay + "> "
                    + batch.ListParameterName + ", CancellationToken cancellationToken)";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchMethod, method.Location, method.Name,
                    string.Join(" and ", batch.Problems) + "; a batched method is an instance method like '" + expected
                    + "' (the CancellationToken is optional) returning one result per item as IReadOnlyList<TOut>, TOut[] or List<TOut>, directly or in a Task or ValueTask"));
            }
            if (batch.MaxBatchSize < 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchSetting, batch.MaxBatchSizeLocation ?? method.Location, method.Name,
                    "MaxBatchSize", Int(batch.MaxBatchSize), "a batch holds at least one item"));
            }
            if (batch.MaxConcurrentBatches < 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchSetting, batch.MaxConcurrentBatchesLocation ?? method.Location, method.Name,
                    "MaxConcurrentBatches", Int(batch.MaxConcurrentBatches), "at least one batch must be able to run"));
            }
            if (!(batch.BatchWaitTimeoutS >= 0) || double.IsInfinity(batch.BatchWaitTimeoutS))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchSetting, batch.BatchWaitTimeoutLocation ?? method.Location, method.Name,
                    "BatchWaitTimeoutS", batch.BatchWaitTimeoutS.ToString("R", CultureInfo.InvariantCulture), "the wait must be a finite number of seconds, at least 0"));
            }
            if (batch.SettingsAreValid && deployment.MaxOngoingRequests is int maxOngoing && maxOngoing >= 1
                && maxOngoing < (long)batch.MaxBatchSize * batch.MaxConcurrentBatches)
            {
                var full = ((long)batch.MaxBatchSize * batch.MaxConcurrentBatches).ToString(CultureInfo.InvariantCulture);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BatchAboveMaxOngoingRequests, method.Location, deployment.DeploymentName,
                    Int(maxOngoing), Int(batch.MaxBatchSize), Int(batch.MaxConcurrentBatches), full, method.Name));
            }
            if (!batch.CanEmitOverload)
            {
                continue;
            }
            var timeout = batch.SettingsAreValid ? batch.BatchWaitTimeoutS : 0;
            var ticks = timeout * TimeSpan.TicksPerSecond >= long.MaxValue ? long.MaxValue : (long)Math.Round(timeout * TimeSpan.TicksPerSecond);
            models.Add(new BatchModel(
                Symbols.EscapeIdentifier(method.Name),
                method.Name,
                method.Cref,
                models.Count,
                batch.Accessibility,
                batch.ItemType,
                batch.ResultType,
                batch.ListParameterName,
                batch.TokenParameterName,
                batch.MaxBatchSize,
                ticks,
                timeout.ToString("R", CultureInfo.InvariantCulture),
                batch.MaxConcurrentBatches,
                batch.ResultKind,
                batch.ResultIsExactList,
                batch.TakesCancellationToken,
                batch.IsValid && batch.SettingsAreValid));
        }
        return models.ToEquatableArray();
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
