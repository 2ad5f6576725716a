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

var kindOption = new Option<string>("--kind") { Description = "What it serves: 'api' (/api/hello, /api/login) or 'frontend' (the demo page).", DefaultValueFactory = _ => "api" };
var nameOption = new Option<string>("--name") { Description = "Its name, in every answer (e.g. api-v1).", DefaultValueFactory = _ => "origin" };
var portOption = new Option<int>("--port") { Description = "Port to listen on, on every address (0 = any free port).", DefaultValueFactory = _ => 8080 };
var origin = new Command("origin", "Run one demo origin on every address, such as an API instance for a compose file; /healthz answers 200.");
origin.Options.Add(kindOption);
origin.Options.Add(nameOption);
origin.Options.Add(portOption);
origin.SetAction((parse, _) => DemoOrigins.RunOneAsync(parse.GetValue(kindOption)!, parse.GetValue(nameOption)!, parse.GetValue(portOption)));
root.Subcommands.Add(origin);

// The host handles SIGTERM/SIGINT itself (drain, then stop); the parser must not kill the process first.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
