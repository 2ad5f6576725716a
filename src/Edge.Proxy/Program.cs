using System.CommandLine;
using Edge.Proxy.Demo;
using Edge.Proxy.Hosting;

var configOption = new Option<string?>("--config", "-c")
{
    Description = "Config file (JSON, comments allowed). Default: $EDGE_CONFIG, else ./edge.json, else the embedded demo config.",
    Recursive = true,
};

var root = new RootCommand("Edge: a reverse proxy and edge load balancer built on YARP.");
root.Options.Add(configOption);
root.SetAction((parse, _) => Commands.RunAsync(parse.GetValue(configOption)));

var validate = new Command("validate", "Check a config like `nginx -t`: exit 0 when valid, else 1 and every error.");
validate.SetAction((parse, _) => Commands.ValidateAsync(parse.GetValue(configOption)));
root.Subcommands.Add(validate);

var urlOption = new Option<string?>("--url") { Description = "Admin base URL. Default: Edge__Listeners__Admin, else http://127.0.0.1:9901." };
var healthcheck = new Command("healthcheck", "Probe the local admin /healthz (for Docker HEALTHCHECK): exit 0 when healthy.");
healthcheck.Options.Add(urlOption);
healthcheck.SetAction((parse, _) => Commands.HealthcheckAsync(parse.GetValue(urlOption)));
root.Subcommands.Add(healthcheck);

var demo = new Command("demo", "Run demo origins (a frontend and two API instances) and the edge on the embedded default config.");
demo.SetAction((parse, _) => DemoOrigins.RunWithEdgeAsync(parse.GetValue(configOption)));
root.Subcommands.Add(demo);

// The host handles SIGTERM/SIGINT itself (drain, then stop); the parser must not kill the process first.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
