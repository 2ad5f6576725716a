"""Writes report.md and report.svg from run.sh's results.tsv and meta.txt (Python 3 standard library only).

    python3 report.py results.tsv meta.txt report.md report.svg
"""
import csv
import html
import statistics
import sys

TARGETS = ["direct", "nginx", "haproxy", "yarp", "edge"]
COLOURS = {"direct": "#9e9e9e", "nginx": "#2e7d32", "haproxy": "#1565c0", "yarp": "#f9a825", "edge": "#c62828"}
POINTS = {
    "h1-c16": "HTTP/1.1, 16 conns, 19 B",
    "h1-c64": "HTTP/1.1, 64 conns, 19 B",
    "h1-c256": "HTTP/1.1, 256 conns, 19 B",
    "h1-64k-c64": "HTTP/1.1, 64 conns, 64 KB",
    "h2-tls": "HTTP/2 + TLS, 16x10 streams, 19 B",
}
METRICS = ["rps", "p50_ms", "p99_ms", "cpu_ms_per_1000", "peak_rss_kb", "origin_connections"]


def number(value):
    return None if value in ("", "NA") else float(value)


def load(results_path, meta_path):
    with open(results_path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    meta = {}
    with open(meta_path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            meta[key] = value
    return rows, meta


def medians(rows):
    table = {}
    for point in POINTS:
        for target in TARGETS:
            runs = [r for r in rows if r["point"] == point and r["target"] == target]
            if not runs:
                continue
            cell = {"runs": len(runs), "errors": sum(int(r["errors"]) for r in runs)}
            for metric in METRICS:
                values = [v for v in (number(r[metric]) for r in runs) if v is not None]
                cell[metric] = statistics.median(values) if values else None
            table[(point, target)] = cell
    return table


def fmt(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def ratio(table, point, a, b, metric):
    x, y = table.get((point, a), {}).get(metric), table.get((point, b), {}).get(metric)
    if x is None or y is None or y == 0:
        return "—"
    return f"{x / y:.2f}"


def markdown(rows, meta, table, svg_name):
    quick = meta.get("command", "").startswith("QUICK=1")
    out = []
    out.append("# Edge beside nginx and haproxy")
    out.append("")
    out.append(
        f"Measured {meta.get('date')} on a **shared {meta.get('nproc')}-core machine**: the load generator "
        "(wrk / h2load), the origins (one nginx instance) and the proxy under test all ran on the same "
        f"{meta.get('nproc')} cores, and other work (builds, tests) was running on the machine at the same time "
        f"(load average {meta.get('loadavg')} at the end). Absolute numbers are therefore low and noisy; the "
        "ratios between targets measured side by side in the same rounds are what to read."
        + (" **This was a QUICK smoke run (one short round): the numbers are not a measurement.**" if quick else "")
    )
    out.append("")
    out.append(f"![median requests per second and p99 latency]({svg_name})")
    out.append("")
    out.append("Command (from the repository root):")
    out.append("")
    out.append("```sh")
    out.append(meta.get("command", ""))
    out.append("```")
    out.append("")
    out.append(
        f"Each point was measured {meta.get('repeats')} time{'' if meta.get('repeats') == '1' else 's'} per target, {meta.get('duration')} s each after a "
        f"{meta.get('warmup')} s warm-up of the same load; in each round the targets took turns in an order "
        "rotated per round and per point (round r: direct, nginx, haproxy, yarp, edge, shifted by r and the point). "
        f"Before the first round every target had a longer warm-up. The whole run took {meta.get('elapsed')} s "
        f"({meta.get('load_elapsed')} s of it under load), the publishes included. "
        f"The edge started (process start to `/readyz` 200) in {meta.get('edge_startup_ms', '—')} ms."
    )
    out.append("")
    out.append("| machine | |")
    out.append("| --- | --- |")
    for key, label in [("nproc", "cores (nproc)"), ("cpu", "CPU"), ("kernel", "kernel"), ("nginx", "nginx"),
                       ("haproxy", "haproxy"), ("wrk", "wrk"), ("h2load", "h2load (nghttp2)"), ("openssl", "OpenSSL"),
                       ("dotnet", ".NET SDK"), ("commit", "edge commit")]:
        out.append(f"| {label} | {meta.get(key, '')} |")
    out.append("")

    out.append("## Medians")
    out.append("")
    out.append(
        "Requests per second, latency percentiles (wrk `--latency`; h2load's per-request log), CPU time "
        "(user + system, from `/proc/PID/stat`) of the proxy's processes per 1000 requests, and their peak "
        "resident memory (VmHWM, summed over nginx's master and workers). "
        + ("The peak was reset (`echo 5 > /proc/PID/clear_refs`) before each measured run, so it is that run's peak. "
           if meta.get("peak_reset") == "1" else
           "Resetting the peak (`/proc/PID/clear_refs`) did not work here, so the peak is the process's lifetime peak. ")
        + "Direct runs have no proxy, hence no CPU or memory figure. Origin conns: connections the origins "
        "accepted during a run (from their stub_status), which shows that the proxy reuses its connections to "
        "them (direct: the load generator's own). Errors are socket errors, non-2xx answers and failed h2 "
        "requests, summed over the runs."
    )
    out.append("")
    out.append("| point | target | req/s | p50 ms | p99 ms | proxy CPU ms / 1000 req | proxy peak RSS MB | origin conns | errors |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for point, label in POINTS.items():
        for target in TARGETS:
            cell = table.get((point, target))
            if not cell:
                continue
            rss = cell["peak_rss_kb"] / 1024 if cell["peak_rss_kb"] is not None else None
            out.append(
                f"| {label} | {target} | {fmt(cell['rps'])} | {fmt(cell['p50_ms'], 2)} | {fmt(cell['p99_ms'], 2)} | "
                f"{fmt(cell['cpu_ms_per_1000'], 1)} | {fmt(rss, 1)} | {fmt(cell['origin_connections'])} | {cell['errors']} |")
    out.append("")

    out.append("## Ratios (of the medians)")
    out.append("")
    out.append("Throughput above 1 is faster, latency, CPU and memory above 1 are worse than the peer.")
    out.append("")
    out.append("| point | edge/nginx req/s | edge/nginx p99 | edge/nginx CPU per req | edge/nginx peak RSS | edge/direct req/s | "
               "haproxy/nginx req/s | haproxy/nginx p99 | yarp/nginx req/s | yarp/nginx p99 | edge/yarp req/s | edge/yarp CPU per req |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for point, label in POINTS.items():
        out.append(
            f"| {label} | {ratio(table, point, 'edge', 'nginx', 'rps')} | {ratio(table, point, 'edge', 'nginx', 'p99_ms')} | "
            f"{ratio(table, point, 'edge', 'nginx', 'cpu_ms_per_1000')} | {ratio(table, point, 'edge', 'nginx', 'peak_rss_kb')} | "
            f"{ratio(table, point, 'edge', 'direct', 'rps')} | {ratio(table, point, 'haproxy', 'nginx', 'rps')} | "
            f"{ratio(table, point, 'haproxy', 'nginx', 'p99_ms')} | {ratio(table, point, 'yarp', 'nginx', 'rps')} | "
            f"{ratio(table, point, 'yarp', 'nginx', 'p99_ms')} | {ratio(table, point, 'edge', 'yarp', 'rps')} | "
            f"{ratio(table, point, 'edge', 'yarp', 'cpu_ms_per_1000')} |")
    out.append("")

    out.append("## What was compared")
    out.append("")
    out.append(
        "- **direct**: wrk against origin a itself (`http://127.0.0.1:27101/`), and for HTTP/2 its own TLS "
        "listener (`https://127.0.0.1:27103/`); one origin, no proxy.\n"
        "- **nginx** (`nginx.conf`), **haproxy** (`haproxy.cfg`) and **edge** (`edge.json`, published in Release): "
        "the same `/backend/{**rest}` route with the prefix stripped (`/backend/` → `/`, `/backend/64k` → `/64k`) "
        "and put back on Location/Set-Cookie, X-Forwarded-* headers set, round robin over the same two origins "
        "with kept-alive HTTP/1.1 connections, a per-client-IP rate limit far above the offered load, metrics "
        "served on a loopback port, no access or request logs. nginx: `worker_processes auto`, upstream "
        "`keepalive 512`, `proxy_http_version 1.1`, `Connection \"\"`; haproxy: `nbthread 2`, `http-reuse always`. "
        "The edge and haproxy probe `/health` every 5 s (active health checks); nginx open source has only passive "
        "checks. The edge also runs its default circuit breakers and retry budget.\n"
        "- **yarp** (`bare-yarp/`, published in Release with ReadyToRun like the edge): YARP 2.1 alone, the engine "
        "the edge is built on: one catch-all route to the same two origins, round robin, no transforms, no limiter, "
        "no health checks, no metrics, logging at Warning; asked for `/` and `/64k` directly. It is the floor: "
        "what Kestrel, HttpClient and YARP's forwarder cost on this machine before any of the edge's features.\n"
        "- TLS (ECDSA P-256, self-signed) ends at the proxy, which speaks HTTP/1.1 to the origins.\n"
        f"- wrk and h2load ran {meta.get('threads')} threads; h2load {meta.get('h2')} (clients x concurrent streams)."
    )
    out.append("")
    out.append(f"Every run is in `results.tsv` ({len(rows)} runs).")
    out.append("")
    return "\n".join(out)


def svg(table):
    points = [p for p in POINTS if any((p, t) in table for t in TARGETS)]
    panel_w, panel_h, left, top = 860, 260, 70, 60
    width, height = left + panel_w + 20, top + 2 * (panel_h + 90) + 10
    group_w = panel_w / max(len(points), 1)
    bar_w = group_w * 0.8 / len(TARGETS)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="22" font-size="15" font-weight="bold">Edge beside nginx and haproxy '
             '(medians; shared 2-core machine)</text>']
    for i, target in enumerate(TARGETS):
        x = left + i * 100
        parts.append(f'<rect x="{x}" y="34" width="12" height="12" fill="{COLOURS[target]}"/>')
        parts.append(f'<text x="{x + 16}" y="44">{target}</text>')

    for panel, (metric, title, digits) in enumerate([("rps", "requests per second (higher is better)", 0),
                                                     ("p99_ms", "p99 latency, ms (lower is better)", 1)]):
        y0 = top + panel * (panel_h + 90) + 20
        values = [table[(p, t)][metric] for p in points for t in TARGETS
                  if (p, t) in table and table[(p, t)][metric] is not None]
        top_value = max(values) * 1.15 if values else 1
        parts.append(f'<text x="{left}" y="{y0 - 6}" font-size="13" font-weight="bold">{html.escape(title)}</text>')
        parts.append(f'<line x1="{left}" y1="{y0 + panel_h}" x2="{left + panel_w}" y2="{y0 + panel_h}" stroke="#333"/>')
        for step in range(5):
            value = top_value * step / 4
            y = y0 + panel_h - panel_h * step / 4
            parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + panel_w}" y2="{y:.1f}" stroke="#ddd"/>')
            parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,.{digits}f}</text>')
        for gi, point in enumerate(points):
            gx = left + gi * group_w + group_w * 0.1
            for ti, target in enumerate(TARGETS):
                cell = table.get((point, target))
                if not cell or cell[metric] is None:
                    continue
                h = panel_h * cell[metric] / top_value
                x = gx + ti * bar_w
                parts.append(f'<rect x="{x:.1f}" y="{y0 + panel_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                             f'fill="{COLOURS[target]}"><title>{target} {point}: {cell[metric]:,.{digits + 1}f}</title></rect>')
                parts.append(f'<text x="{x + bar_w / 2 - 1:.1f}" y="{y0 + panel_h - h - 3:.1f}" font-size="9" '
                             f'text-anchor="middle">{cell[metric]:,.{digits}f}</text>')
            parts.append(f'<text x="{left + gi * group_w + group_w / 2:.1f}" y="{y0 + panel_h + 16}" '
                         f'text-anchor="middle">{html.escape(POINTS[point])}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    results_path, meta_path, md_path, svg_path = sys.argv[1:5]
    rows, meta = load(results_path, meta_path)
    table = medians(rows)
    svg_name = svg_path.rsplit("/", 1)[-1]
    with open(md_path, "w") as f:
        f.write(markdown(rows, meta, table, svg_name))
    with open(svg_path, "w") as f:
        f.write(svg(table))


if __name__ == "__main__":
    main()
