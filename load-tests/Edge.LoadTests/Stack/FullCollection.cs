using System.Diagnostics.Tracing;
using Edge.LoadTests.Scenarios;
using Microsoft.Diagnostics.NETCore.Client;

namespace Edge.LoadTests.Stack;

/// <summary>
/// Makes the edge run a full, blocking, compacting GC from outside, as dotnet-gcdump does: an
/// EventPipe session that enables the runtime provider's GCHeapCollect keyword. The heap size
/// read right after it is what the edge keeps alive. The heap size after whatever GC ran last
/// is a sawtooth (gen0 and gen1 collections leave promoted garbage in gen2 until a gen2 GC), so
/// two single readings of it differ by more than a leak of a few percent would.
/// </summary>
internal static class FullCollection
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const long GCHeapCollectKeyword = 0x800000;
    private const string Gen2Collections = "dotnet_gc_collections_total{gc_heap_generation=\"gen2\"}";
    private const string HeapAfterLastCollection = "dotnet_gc_last_collection_heap_size_bytes";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Asks the edge (process <paramref name="processId"/>) for a full GC, waits until its
    /// <c>/metrics</c> counts one more gen2 collection, and returns the GC heap size after it in
    /// bytes; NaN when no collection was seen within 5 s.
    /// </summary>
    public static async Task<double> LiveHeapBytesAsync(int processId, HttpClient admin, TimeProvider time, CancellationToken cancellationToken)
    {
        var before = await Steps.MetricAsync(admin, Gen2Collections).ConfigureAwait(false);
        var client = new DiagnosticsClient(processId);
        using var session = await client.StartEventPipeSessionAsync(
            [new EventPipeProvider(RuntimeProvider, EventLevel.Informational, GCHeapCollectKeyword)],
            requestRundown: false,
            circularBufferMB: 1,
            cancellationToken).ConfigureAwait(false);
        // The session writes a few events; read them away so the runtime never waits on us.
        var drain = session.EventStream.CopyToAsync(Stream.Null, cancellationToken);
        try
        {
            var started = time.GetTimestamp();
            while (time.GetElapsedTime(started) < Deadline)
            {
                if (await Steps.MetricAsync(admin, Gen2Collections).ConfigureAwait(false) > before)
                {
                    return await Steps.MetricAsync(admin, HeapAfterLastCollection).ConfigureAwait(false);
                }

                await Task.Delay(Poll, time, cancellationToken).ConfigureAwait(false);
            }

            return double.NaN;
        }
        finally
        {
            await session.StopAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await drain.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The stream ends or breaks when the session stops.
            }
        }
    }
}
