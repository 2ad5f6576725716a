// A bare YARP proxy: one catch-all route, round robin over the origins given on the command
// line, no middleware, logging at Warning. It answers what YARP itself costs on this machine,
// so the edge's figures can be split into YARP's share and the edge's own (run.sh).
//   Kestrel__Endpoints__Http__Url=http://127.0.0.1:27480 bare-yarp http://127.0.0.1:27101/ http://127.0.0.1:27102/
// Listeners come from ASP.NET Core's own Kestrel configuration (environment variables
// Kestrel__Endpoints__NAME__Url, and __Certificate__Path / __KeyPath for a PEM pair).
using Yarp.ReverseProxy.Configuration;

if (args.Length < 1 || args.Any(a => !Uri.TryCreate(a, UriKind.Absolute, out _)))
{
    Console.Error.WriteLine("usage: bare-yarp ORIGIN_URL... (listeners from Kestrel__Endpoints__* environment variables)");
    return 2;
}

var builder = WebApplication.CreateBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var destinations = args.Select((address, i) => (Id: $"origin-{i}", Config: new DestinationConfig { Address = address }))
    .ToDictionary(d => d.Id, d => d.Config);
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "origins", Match = new RouteMatch { Path = "/{**catchall}" } }],
    [new ClusterConfig { ClusterId = "origins", LoadBalancingPolicy = "RoundRobin", Destinations = destinations }]);

var app = builder.Build();
app.MapReverseProxy();
await app.RunAsync().ConfigureAwait(false);
return 0;
