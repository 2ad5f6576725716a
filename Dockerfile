# syntax=docker/dockerfile:1
# The edge's container image. Build:
#   docker build -t edge --build-arg VERSION=1.2.3 --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) .
# Run (the config directory mounted, so edits and atomic renames are seen and hot-reloaded):
#   docker run -p 8080:8080 -v "$PWD/config:/etc/edge:ro" edge

# ---- build: restore (cached layer), then publish with deploy/publish.sh, the command CI runs too.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Only what restore reads, so this layer is rebuilt when a project or package changes, not for
# every source edit. YARP is a PackageDownload referenced from the NuGet folder by HintPath
# (Directory.Build.props), so that folder is a cache mount shared by the restore and the publish.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Edge.Config/Edge.Config.csproj src/Edge.Config/
COPY src/Edge.Proxy/Edge.Proxy.csproj src/Edge.Proxy/
COPY deploy/publish.sh deploy/
RUN --mount=type=cache,id=edge-nuget,target=/root/.nuget/packages \
    EDGE_RID="linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" bash deploy/publish.sh restore

COPY config/ config/
COPY src/ src/
RUN --mount=type=cache,id=edge-nuget,target=/root/.nuget/packages \
    EDGE_RID="linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" bash deploy/publish.sh publish /app

# ---- runtime: the ASP.NET Core runtime, chiseled (no shell, no package manager, non-root user).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="edge" \
      org.opencontainers.image.description="Edge: reverse proxy and edge load balancer built on YARP" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"

WORKDIR /app
# Owned by root and read-only to the user the edge runs as.
COPY --from=build /app/ /app/

# The config file: mount a directory at /etc/edge holding edge.json (a directory, not the single
# file, so an editor's atomic save or a ConfigMap symlink swap reaches the container). Any key
# can be overridden with an environment variable, `__` for `:`, e.g.
#   -e ReverseProxy__Clusters__api__Destinations__v1__Address=http://api-v1:8080/
# ASPNETCORE_HTTP_PORTS is cleared: the edge binds what Edge:Listeners says, nothing else.
ENV EDGE_CONFIG=/etc/edge/edge.json \
    ASPNETCORE_HTTP_PORTS= \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
VOLUME ["/etc/edge"]

# 8080: public listener (Edge:Listeners:Public). 9901: admin listener (health, metrics, admin
# API); it binds 127.0.0.1 unless Edge__Listeners__Admin says otherwise. Never publish 9901 to
# the internet.
EXPOSE 8080 9901

# APP_UID is the image's non-root user (uid 1654).
USER $APP_UID

# Probes the admin /healthz (Edge__Listeners__Admin, else 127.0.0.1:9901); there is no curl here.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["/app/edge", "healthcheck"]

# SIGTERM drains (Edge:Shutdown:DrainDelay, 5 s) then stops (Edge:Shutdown:Timeout, 30 s):
# give `docker stop` more than the sum, e.g. `docker stop -t 40`.
ENTRYPOINT ["/app/edge"]
