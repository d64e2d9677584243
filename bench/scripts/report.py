#!/usr/bin/python3
"""Builds bench/RESULTS.md and bench/throughput.svg from the suite's results.jsonl (stdlib only)."""
import argparse
import collections
import json
import os
import platform
import re
import statistics
import subprocess
from collections import defaultdict

p = argparse.ArgumentParser()
p.add_argument("--src-ref", default="")
for a in ("results", "commands", "aot-sizes", "mode", "elapsed", "md", "svg"):
    p.add_argument("--" + a, required=True)
args = p.parse_args()
BENCH = os.path.dirname(os.path.abspath(args.md))

rows = [json.loads(l) for l in open(args.results, encoding="utf-8") if l.strip()]


def sel(suite, target=None, params=None):
    return [r for r in rows if r.get("suite") == suite and (target is None or r.get("target") == target)
            and (params is None or r.get("params") == params)]


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"med": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def paired(suite, field, a, b, params=None):
    """Per-repetition ratios a/b (runs alternate, so each pair saw the same machine state)."""
    ra = {r["rep"]: r.get(field) for r in sel(suite, a, params)}
    rb = {r["rep"]: r.get(field) for r in sel(suite, b, params)}
    return stats([ra[k] / rb[k] for k in ra if ra[k] is not None and k in rb and rb[k]])


def fmt(v, unit=""):
    if v is None:
        return "—"
    if abs(v) >= 1000:
        s = f"{v:,.0f}"
    elif abs(v) >= 100:
        s = f"{v:.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return s + unit


def raw(s, unit="", scale=1.0):
    if s is None:
        return "—"
    return f"{fmt(s['med'] * scale, unit)} [{fmt(s['min'] * scale)}–{fmt(s['max'] * scale)}] (n={s['n']})"


table = []     # (figure, ratio, ratio range, serve raw, baseline raw, baseline name)
verdicts = []  # (target, measured, met)


def add(figure, suite, field, serve, base, params=None, unit="", scale=1.0, base_name=None):
    s = stats([r.get(field) for r in sel(suite, serve, params)])
    b = stats([r.get(field) for r in sel(suite, base, params)])
    ratio = s["med"] / b["med"] if s and b and b["med"] else None
    pr = paired(suite, field, serve, base, params)
    table.append((figure, ratio, pr, raw(s, unit, scale), raw(b, unit, scale), base_name or base))
    return ratio, s, b


# 1. unary
u = {}
for n in ("1r", "4r"):
    u[n, "rps"] = add(f"Unary no-op, Serve {n[0]} replica(s): throughput (req/s)", "unary", "rps", f"serve-{n}", "bare")
    u[n, "p50"] = add(f"Unary no-op, Serve {n[0]} replica(s): p50 latency (ms)", "unary", "p50_us", f"serve-{n}", "bare", unit=" ms", scale=1e-3)
    u[n, "p99"] = add(f"Unary no-op, Serve {n[0]} replica(s): p99 latency (ms)", "unary", "p99_us", f"serve-{n}", "bare", unit=" ms", scale=1e-3)
    # Where the throughput goes: the server's CPU per call, and h2load's (it shares the cores, so what Serve's
    # responses cost it to read lowers throughput as well).
    u[n, "srv"] = add(f"Unary no-op, Serve {n[0]} replica(s): server CPU per call (µs)", "unary", "server_cpu_us", f"serve-{n}", "bare", unit=" µs")
    u[n, "cli"] = add(f"Unary no-op, Serve {n[0]} replica(s): h2load's CPU per call (µs)", "unary", "client_cpu_us", f"serve-{n}", "bare", unit=" µs")
# The same calls against what a .NET developer would write instead of Serve: a plain Grpc.AspNetCore service.
GRPCNET = "plain Grpc.AspNetCore"
g = {}
g["rps"] = add("Unary no-op, Serve 1 replica / plain Grpc.AspNetCore service: throughput (req/s)", "unary", "rps", "serve-1r", "grpc-aspnetcore",
               base_name=GRPCNET)
g["p50"] = add("Unary no-op, Serve 1 replica / plain Grpc.AspNetCore service: p50 latency (ms)", "unary", "p50_us", "serve-1r", "grpc-aspnetcore",
               unit=" ms", scale=1e-3, base_name=GRPCNET)
g["p99"] = add("Unary no-op, Serve 1 replica / plain Grpc.AspNetCore service: p99 latency (ms)", "unary", "p99_us", "serve-1r", "grpc-aspnetcore",
               unit=" ms", scale=1e-3, base_name=GRPCNET)
g["srv"] = add("Unary no-op, Serve 1 replica / plain Grpc.AspNetCore service: server CPU per call (µs)", "unary", "server_cpu_us", "serve-1r",
               "grpc-aspnetcore", unit=" µs", base_name=GRPCNET)
# Serve's gap to bare in two parts: what the gRPC and Ray contracts put on every response (bare sending the same
# grpc-accept-encoding header and request_id trailer, encoded as Serve's host does), and what Serve's own work costs.
BRAY = "bare + Ray's response metadata"
ray = {}
ray["rps"] = add("Unary no-op: bare with Ray's response metadata / bare: throughput (req/s)", "unary", "rps", "bare-ray", "bare")
ray["p50"] = add("Unary no-op: bare with Ray's response metadata / bare: p50 latency (ms)", "unary", "p50_us", "bare-ray", "bare",
                 unit=" ms", scale=1e-3)
own = {}
own["rps"] = add("Unary no-op, Serve 1 replica / bare with Ray's response metadata: throughput (req/s)", "unary", "rps", "serve-1r",
                 "bare-ray", base_name=BRAY)
own["p50"] = add("Unary no-op, Serve 1 replica / bare with Ray's response metadata: p50 latency (ms)", "unary", "p50_us", "serve-1r",
                 "bare-ray", unit=" ms", scale=1e-3, base_name=BRAY)
own["srv"] = add("Unary no-op, Serve 1 replica / bare with Ray's response metadata: server CPU per call (µs)", "unary", "server_cpu_us",
                 "serve-1r", "bare-ray", unit=" µs", base_name=BRAY)
# The latency one client sees with nothing else in flight (no queueing behind other calls).
lone = add("Unary no-op, one call in flight (h2load -c 1 -m 1), Serve 1 replica: p50 latency (ms)", "conc", "p50_us", "serve-1r", "bare",
           params="c=1,m=1", unit=" ms", scale=1e-3)
# 1b. HTTP no-op: Serve's HTTP proxy vs a bare minimal API
hn = {}
hn["rps"] = add("HTTP no-op (GET, h2load --h1 -c 16), Serve 1 replica: throughput (req/s)", "http", "rps", "serve-1r", "bare-http")
hn["p50"] = add("HTTP no-op, Serve 1 replica: p50 latency (ms)", "http", "p50_us", "serve-1r", "bare-http", unit=" ms", scale=1e-3)
hn["p99"] = add("HTTP no-op, Serve 1 replica: p99 latency (ms)", "http", "p99_us", "serve-1r", "bare-http", unit=" ms", scale=1e-3)
# 1c. gRPC vs HTTP echo, same deployment, same bytes, 16 requests in flight: HTTP/1.1 on 16 connections; gRPC on
# one channel (-c 1 -m 16, as gRPC clients send calls) and with one call per connection (-c 16 -m 1)
echo = {}
for size, label in (("small", "16 B"), ("1mb", "1 MiB")):
    prm = f"size={size}"
    echo[size, "channel"] = add(f"Echo {label}, 16 in flight: **gRPC on one channel / HTTP** through Serve (ratio = gRPC/HTTP)",
                                "echo", "rps", "serve-grpc-channel", "serve-http", params=prm)
    echo[size, "channel-bare"] = add(f"Echo {label}: gRPC on one channel / HTTP on bare Kestrel, for reference",
                                     "echo", "rps", "bare-grpc-channel", "bare-http", params=prm)
    echo[size, "conn"] = add(f"Echo {label}, 16 in flight: **gRPC one call per connection / HTTP** through Serve (ratio = gRPC/HTTP)",
                             "echo", "rps", "serve-grpc", "serve-http", params=prm)
    echo[size, "conn-bare"] = add(f"Echo {label}: gRPC one call per connection / HTTP on bare Kestrel, for reference",
                                  "echo", "rps", "bare-grpc", "bare-http", params=prm)
    add(f"Echo {label}: gRPC on one channel, Serve / bare (req/s)", "echo", "rps", "serve-grpc-channel", "bare-grpc-channel", params=prm)
    add(f"Echo {label}: gRPC one call per connection, Serve / bare (req/s)", "echo", "rps", "serve-grpc", "bare-grpc", params=prm)
    add(f"Echo {label}: HTTP, Serve / bare (req/s)", "echo", "rps", "serve-http", "bare-http", params=prm)
# 2. streaming
st = {}
for k in (1, 16):
    st[k] = add(f"Server streaming, {k} stream(s): messages/s", "stream", "mps", "serve-1r", "bare", params=f"streams={k}")
# 2b. composition: a chain of three deployments vs one deployment doing the same three stages
comp = {}
comp["rps"] = add("Composition: 3-deployment chain / 1 deployment, same work: throughput (req/s)", "compose", "rps", "chain", "single")
comp["p50"] = add("Composition: 3-deployment chain / 1 deployment: p50 latency (ms)", "compose", "p50_us", "chain", "single", unit=" ms", scale=1e-3)
# 2c. in-process handle hop vs a direct method call (ratio = handle / direct time per call)
hop = {}
for prm, label in (("sequential", "one caller"), ("concurrent=64", "64 callers")):
    hop[prm] = add(f"In-process handle call / direct call, {label}: time per call (µs)", "hop", "ns_per_call", "handle", "direct",
                   params=prm, unit=" µs", scale=1e-3)
# 2d. batching: the same model with and without [Batch], 64 calls in flight
bat = {}
bat["rps"] = add("Batching: [Batch] / one call at a time, same model, 64 in flight: throughput (req/s)", "batch", "rps", "batched", "unbatched")
bat["p50"] = add("Batching: [Batch] / one call at a time: p50 latency (ms)", "batch", "p50_us", "batched", "unbatched", unit=" ms", scale=1e-3)
# 3. cold start
cold = {}
for kind in ("jit", "aot"):
    cold[kind] = add(f"Cold start {kind.upper()}: exec → first OK (ms)", "cold", "first_ok_ms", f"serve-{kind}", f"bare-{kind}", unit=" ms")
    cold[kind + "-rss"] = add(f"Idle RSS {kind.upper()} (MB, start + 1 s idle)", "cold", "rss_kb", f"serve-{kind}", f"bare-{kind}", unit=" MB", scale=1 / 1024)
# The gRPC quickstart itself (app1: GrpcDeployment, 2 replicas, probed with its own __call__) against the bare AOT app.
cold["quickstart"] = add("Cold start AOT, the gRPC quickstart (samples/GrpcQuickstart, single-app.yaml): exec → first OK (ms)",
                         "cold", "first_ok_ms", "quickstart-aot", "bare-aot", unit=" ms")
cold["quickstart-rss"] = add("Idle RSS AOT, the gRPC quickstart (MB, start + 1 s idle)", "cold", "rss_kb", "quickstart-aot", "bare-aot",
                             unit=" MB", scale=1 / 1024)
# 4. scale
scale_rows = []
scale_n = sorted({r["n"] for r in sel("scale-rss")})
rss1 = next((r["rss_kb"] for r in sel("scale-rss") if r["n"] == 1), None)
for n in scale_n:
    t = f"serve-{n}r"
    rps = stats([r["rps"] for r in sel("scale", t)])
    p50 = stats([r.get("mean_us") for r in sel("scale", t)])
    rss = next(r["rss_kb"] for r in sel("scale-rss") if r["n"] == n)
    scale_rows.append((n, rps, p50, rss))
scale_base = scale_rows[0] if scale_rows else None

# ---- targets
def verdict(name, value, limit, higher_is_better, text):
    if value is None:
        verdicts.append((name, "not measured", "—"))
        return
    met = value >= limit if higher_is_better else value <= limit
    verdicts.append((name, text, "**met**" if met else f"**missed** (by {abs(value - limit) / limit * 100:.0f}%)"))

gr = g["rps"][0]
verdict("Unary gRPC throughput ≥ 1.0× the plain Grpc.AspNetCore service (1 replica)", gr, 1.0, True, f"{gr:.2f}×" if gr else "")
r1 = u["1r", "rps"][0]
verdict("Unary gRPC throughput ≥ 0.85× bare (1 replica)", r1, 0.85, True, f"{r1:.2f}×" if r1 else "")
r4 = u["4r", "rps"][0]
verdict("Unary gRPC throughput ≥ 0.85× bare (4 replicas)", r4, 0.85, True, f"{r4:.2f}×" if r4 else "")
p1 = u["1r", "p50"][0]
verdict("Unary p50 latency ≤ 1.2× bare (1 replica)", p1, 1.2, False, f"{p1:.2f}×" if p1 else "")
for key, name in (("p50", "p50 latency"), ("rps", "throughput")):
    c_, o_ = ray[key][0], own[key][0]
    if c_ and o_:
        verdicts.append((f"Unary {name}, the gap to bare in two parts (for information): the contract's response metadata (bare with it / bare) "
                         "× Serve's own work (Serve / bare with it)", f"{c_:.2f}× × {o_:.2f}×", "—"))
if lone[0]:
    verdicts.append(("Unary p50 latency with one call in flight, Serve / bare (for information)", f"{lone[0]:.2f}×", "—"))
h = hn["rps"][0]
verdict("HTTP through Serve ≥ 0.85× bare minimal API (throughput)", h, 0.85, True, f"{h:.2f}×" if h else "")
for shape, text in (("channel", "gRPC calls on one channel"), ("conn", "one gRPC call per connection")):
    e = echo["small", shape][0]
    eb = echo["small", shape + "-bare"][0]
    verdict(f"gRPC ≥ HTTP throughput on small payloads (Serve, 16 B echo, 16 in flight, {text})", e, 1.0, True,
            f"gRPC/HTTP {e:.2f}×" + (f" (bare Kestrel: {eb:.2f}×)" if eb else "") if e else "")
for shape, text in (("channel", "gRPC on one channel"), ("conn", "one gRPC call per connection")):
    e1 = echo["1mb", shape][0]
    if e1:
        verdicts.append((f"gRPC vs HTTP on 1 MiB, {text} (for information: no target)", f"gRPC/HTTP {e1:.2f}×", "—"))
cr = comp["rps"][0]
verdict("Composition: 3-deployment chain ≥ 0.8× one deployment doing the same work (throughput)", cr, 0.8, True, f"{cr:.2f}×" if cr else "")
c = cold["aot"][0]
verdict("Native AOT cold start ≤ 1.3× bare AOT", c, 1.3, False, f"{c:.2f}×" if c else "")
rs = cold["aot-rss"][1]
verdict("Idle RSS ≤ 60 MB (Serve, AOT)", rs["med"] / 1024 if rs else None, 60, False, f"{rs['med'] / 1024:.1f} MB" if rs else "")
rsj = cold["jit-rss"][1]
if rsj:
    verdicts.append(("Idle RSS, JIT host (for information: the target is for the AOT host)", f"{rsj['med'] / 1024:.1f} MB", "—"))
if scale_rows and scale_rows[-1][1] and scale_base[1]:
    flat = scale_base[1]["med"] / scale_rows[-1][1]["med"]  # per-request cost ratio 1000 vs 1
    verdict(f"Routing cost flat 1 → {scale_rows[-1][0]} replicas (≤ 1.1×)", flat, 1.1, False,
            f"{flat:.2f}× time per request (throughput {scale_rows[-1][1]['med'] / scale_base[1]['med']:.2f}×)")

# ---- machine
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:  # noqa: BLE001
        return "?"

cpuinfo = open("/proc/cpuinfo", encoding="utf-8").read()
cpu = (re.search(r"model name\s*:\s*(.*)", cpuinfo) or [None, "?"])[1]
mem = int(re.search(r"MemTotal:\s*(\d+)", open("/proc/meminfo", encoding="utf-8").read()).group(1)) / 1024 / 1024
osname = (re.search(r'PRETTY_NAME="(.*)"', open("/etc/os-release", encoding="utf-8").read()) or [None, "?"])[1]
loads = [(r["at"], r["value"]) for r in rows if r.get("suite") == "loadavg"]

# ---- svg
def svg_chart(path):
    conc = sorted({int(re.search(r"c=(\d+)", r["params"]).group(1)) for r in sel("conc")})
    series = {}
    for t, color in (("bare", "#4c78a8"), ("serve-1r", "#f58518")):
        pts = []
        for cc in conc:
            s = stats([r["rps"] for r in sel("conc", t, f"c={cc},m=1")])
            pts.append((cc, s))
        series[t] = (color, pts)
    W, H, L, R, T, B = 640, 400, 80, 20, 40, 60
    ymax = max((s["max"] for _, pts in series.values() for _, s in pts if s), default=1) * 1.1
    step = 10 ** len(str(int(ymax))) / 10
    for m in (1, 2, 5):
        if ymax / (step * m / 2) <= 8:
            tick = step * m / 2
            break
    else:
        tick = step
    xs = {cc: L + (W - L - R) * (i / max(1, len(conc) - 1)) for i, cc in enumerate(conc)}
    y = lambda v: T + (H - T - B) * (1 - v / ymax)  # noqa: E731
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">Unary no-op gRPC: throughput vs concurrency (h2load -m 1, medians, bars = min–max)</text>']
    v = 0.0
    while v <= ymax:
        o.append(f'<line x1="{L}" y1="{y(v):.1f}" x2="{W - R}" y2="{y(v):.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{L - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
        v += tick
    for cc, x in xs.items():
        o.append(f'<text x="{x:.1f}" y="{H - B + 18}" text-anchor="middle">{cc}</text>')
    o.append(f'<text x="{(L + W - R) / 2}" y="{H - 15}" text-anchor="middle">concurrent connections (h2load -c, 1 stream each)</text>')
    o.append(f'<text transform="translate(18,{(T + H - B) / 2}) rotate(-90)" text-anchor="middle">requests/s</text>')
    o.append(f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/><line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>')
    for i, (t, (color, pts)) in enumerate(series.items()):
        good = [(xs[cc], s) for cc, s in pts if s]
        points = " ".join("%.1f,%.1f" % (x, y(s["med"])) for x, s in good)
        o.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        for x, s in good:
            o.append(f'<line x1="{x:.1f}" y1="{y(s["min"]):.1f}" x2="{x:.1f}" y2="{y(s["max"]):.1f}" stroke="{color}"/>')
            o.append(f'<circle cx="{x:.1f}" cy="{y(s["med"]):.1f}" r="3.5" fill="{color}"/>')
        label = "bare Kestrel" if t == "bare" else "Serve (1 replica)"
        o.append(f'<rect x="{L + 15}" y="{T + 8 + i * 18}" width="12" height="12" fill="{color}"/><text x="{L + 32}" y="{T + 18 + i * 18}">{label}</text>')
    o.append("</svg>")
    open(path, "w", encoding="utf-8").write("\n".join(o) + "\n")
    return conc, series

conc, series = svg_chart(args.svg)

# ---- markdown
md = []
md.append("# Benchmark results (issue 4)\n")
md.append(f"Generated by `bench/run.sh{' --quick' if args.mode == 'quick' else ''}{' --src-ref ' + args.src_ref if args.src_ref else ''}` ({args.mode} mode, {int(args.elapsed) // 60} min {int(args.elapsed) % 60} s). "
          "Every figure is Serve against a baseline measured in the same run; ratio = Serve / baseline "
          "(of the medians; the range is the min–max of the per-repetition ratios, Serve and baseline runs alternate). "
          "Raw cells: median [min–max] (n = repetitions).\n")
if args.mode == "quick":
    md.append("> **Quick mode**: too few repetitions for conclusions; a smoke run of the suite.\n")
md.append("## Machine\n")
src = next((r["value"] for r in rows if r.get("suite") == "source"), "?")
md.append(f"- Serve built from: {src}")
md.append(f"- {sh('nproc')} CPUs: {cpu}; {mem:.1f} GiB RAM; {osname}; kernel {platform.release()}")
md.append(f"- .NET SDK {sh('dotnet --version')}; runtimes: {', '.join(l.split(' [')[0] for l in sh('dotnet --list-runtimes').splitlines())}; "
          f"Native AOT on net10.0 (the SDK's ILCompiler, see docs/aot.md)")
md.append(f"- {sh('h2load --version').splitlines()[0] if sh('h2load --version') else 'h2load ?'}; servers pinned to CPU {os.environ.get('SERVER_CPU', '0')}, load generators and clients "
          f"to CPU {os.environ.get('LOAD_CPU', '1')} (`taskset`); the in-process handle benchmark runs on the server's CPU")
md.append("- load average (1/5/15 min) during the run: " + "; ".join(f"{a}: {v}" for a, v in loads))
md.append("- Reading the load average: the suite alone drives the 1-min figure to about 4–5 on 2 cores (h2load plus the "
          "servers' thread pools), so only the `start` reading (before any server runs) says whether others were using the "
          "machine. Absolute numbers move with that; each ratio pairs runs made back to back, so compare the ratios.\n")
md.append("## Results\n")
md.append("| figure | ratio Serve/baseline | per-rep ratio range | Serve | baseline |")
md.append("|---|---|---|---|---|")
for fig, ratio, pr, s, b, bn in table:
    rtext = "—" if ratio is None else "%.2f×" % ratio
    prtext = "—" if pr is None else "%.2f–%.2f" % (pr["min"], pr["max"])
    md.append(f"| {fig} | {rtext} | {prtext} | {s} | {bn}: {b} |")
md.append("")
md.append("### Scale: in-process replicas (Serve JIT host, h2load -c 16 -m 10)\n")
md.append("| replicas | req/s median [min–max] | vs 1 replica | time/request vs 1 replica | mean latency ms | idle RSS MB | RSS per extra replica |")
md.append("|---|---|---|---|---|---|---|")
for n, rps, p50, rss in scale_rows:
    rel = rps["med"] / scale_base[1]["med"] if rps and scale_base[1] else None
    per = f"{(rss - rss1) / (n - 1):.1f} KB" if n > 1 and rss1 else "—"
    md.append(f"| {n} | {raw(rps)} | {'—' if rel is None else f'{rel:.2f}×'} | {'—' if rel is None else f'{1 / rel:.2f}×'} | "
              f"{raw(p50, '', 1e-3)} | {rss / 1024:.1f} | {per} |")
md.append("")
md.append("### Throughput vs concurrency (chart: `bench/throughput.svg`)\n")
md.append("![throughput vs concurrency](throughput.svg)\n")
md.append("| h2load -c (-m 1) | " + " | ".join(str(cc) for cc in conc) + " |")
md.append("|---|" + "---|" * len(conc))
for t, (_, pts) in series.items():
    md.append(f"| {t} req/s | " + " | ".join(fmt(s["med"]) if s else "—" for _, s in pts) + " |")
ratios = [f"{s2['med'] / s1['med']:.2f}×" if s1 and s2 else "—" for (_, s1), (_, s2) in zip(series["bare"][1], series["serve-1r"][1])]
md.append("| Serve / bare | " + " | ".join(ratios) + " |\n")
md.append("## Targets\n")
md.append("| target | measured | verdict |")
md.append("|---|---|---|")
for name, measured, met in verdicts:
    md.append(f"| {name} | {measured} | {met} |")
md.append("")
md.append("The in-process handle hop and batching (`[Batch]` against one call at a time) have no target: their figures are in "
          "the Results table, for information.\n")
samples = sel("sample")
if samples:
    calls = sum(r["calls"] for r in samples)
    ok = sum(r["ok"] for r in samples)
    others = collections.Counter()
    for r in samples:
        others.update({k: v for k, v in r["codes"].items() if k != "OK"})
    md.append(f"Status under load: {calls:,} gRPC calls sampled through grpcio during {len(samples)} load runs, "
              f"{ok:,} with status OK" + (f" (others: {dict(others)})" if others else "") + ".\n")
md.append("## Method\n")
md.append("""- Targets: `bench/NoopServe` (Serve host, `[Deployment]` serving `servebench.Noop` from `bench/Protos/servebench.proto`:
  `Call(Empty) returns (Empty)` does nothing, `Stream(StreamRequest) returns (stream Item)` yields `count` 16-byte items,
  `Echo(Blob) returns (Blob)` returns its request; plus the HTTP routes below)
  with `num_replicas` 1 / 4 / N and `max_ongoing_requests: 100000` (nothing queues), `log_level: WARNING` and
  `enable_access_log: false` (the default, true, writes one console line per call); and `bench/BareKestrel`: Kestrel h2c on
  127.0.0.1 with one terminal middleware that reads the framed request from `BodyReader`, parses it with the same protobuf
  types, writes the framed response (flushing each streamed message, as Serve does) and the `grpc-status` trailer; and
  `bench/GrpcAspNetCore`, what a .NET developer would write instead of Serve: a plain Grpc.AspNetCore 2.85.0 service
  (`AddGrpc()`, `MapGrpcService<NoopService>()`) deriving from the `Noop.NoopBase` that Grpc.Tools generates from the same
  .proto (`GrpcServices="Server"`), with the same three methods (`Call` returns a cached `Empty`, `Echo` its request,
  `Stream` writes `count` items, each `WriteAsync` flushing), on Kestrel h2c on 127.0.0.1 (`HttpProtocols.Http2`, no
  Server header, logging providers cleared). Bare Kestrel measures the HTTP/2 server and gRPC framing alone; the Grpc.AspNetCore
  service adds grpc-dotnet's server pipeline (endpoint routing, call context, deadlines, marshalling) and is the
  figure a user comparing Serve with writing the service directly would look at. All three use
  `WebApplication.CreateSlimBuilder`, workstation GC and `InvariantGlobalization`, and run JIT in the unary suite.
- Unary: `h2load -c 16 -m 10 -D <s> --warm-up-time=1` with body = a framed empty message (5 bytes) and headers
  `content-type: application/grpc`, `te: trailers`. Bare, the plain Grpc.AspNetCore service, Serve-1, bare with Ray's
  response metadata (`BareKestrel --ray-metadata`: the `grpc-accept-encoding` header and a new `request_id` trailer per
  call that every Serve gRPC response carries, with Kestrel's HPACK dynamic table off as in Serve's host) and Serve-4
  alternate in each repetition, the order rotating from one repetition to the next. Throughput comes from a run WITHOUT `--log-file`; p50/p99 from a second,
  shorter run (`-D 3`) with `--log-file` (per-request durations; h2load's summary prints only min/max/mean/sd). They
  are separate because writing that log caps single-threaded h2load at ~60–70k req/s on this machine while bare
  Kestrel serves ~200k no-op calls/s: with the log on, the throughput ratio measured the load generator (runs before
  this change reported 0.79–0.91× that way). The same split applies to the HTTP no-op and to the concurrency sweep at
  `-c 1` (one call in flight: the latency a lone client sees); the rest of the sweep, echo and scale runs measure
  throughput only (scale shows h2load's mean latency).
  A run fails on any non-2xx or failed request. Before the first repetition of each suite every host gets 35 s of
  unmeasured load on each path it is measured on, then the suite waits until the server core is idle. With dynamic PGO
  a JIT host's hot methods run instrumented code until their profile is in, then wait for a background compile, and
  on one core the runtime stretches its tiering delay tenfold: a Serve host under full load serves ~105k calls/s for
  10 s, ~80k while compiling, and reaches its ~215k after 30–35 s. The earlier 3 s warm-up left every host's first
  repetition at about half speed. CPU per call: the server's and h2load's user + system time (`/proc/<pid>/stat`) over the
  measured part of the throughput run (from 0.25 s after the warm-up to 0.25 s before the end), divided by the calls
  made in that time at the run's rate. h2load shares the 2 cores with the server, so what a server's responses cost
  h2load to read lowers that server's throughput too.
- HTTP no-op: the same NoopServe host answers `GET /bench/noop` (a `[HttpGet("/noop")]` method returning the string
  `ok`, text/plain) on its HTTP/1.1 `http_options` port, application `route_prefix: /bench`; the baseline is
  `bench/BareHttp`, a minimal API on `CreateSlimBuilder` (`app.MapGet("/bench/noop", () => "ok")`, JIT, HTTP/1.1 only,
  no logging). `h2load --h1 -c 16 -m 1` (keep-alive, no pipelining), `-D <s> --warm-up-time=1`, alternating. Before
  every run `bench/scripts/http_check.py` requires status 200 and body `ok` (and a correct echo).
- gRPC vs HTTP: the same deployment echoes bytes both ways: gRPC `servebench.Noop/Echo(Blob) returns (Blob)` (the
  method returns its request) and HTTP `POST /bench/echo` (`[HttpPost("/echo")]`, `HttpResult.Bytes(request.Body)`,
  application/octet-stream). Payload 16 B or 1 MiB of the same bytes (for gRPC framed in a `Blob`: +2 or +4 bytes of
  protobuf, +5 of gRPC framing). 16 requests in flight either way. HTTP: `h2load --h1 -c 16 -m 1 -d <raw file>`
  (HTTP/1.1 needs a connection per request in flight). gRPC twice: `h2load -c 1 -m 16 -d <framed file>`, all calls
  on one HTTP/2 connection as a gRPC channel sends them (grpcio and grpc-dotnet multiplex a channel's calls on one
  connection), and `h2load -c 16 -m 1`, one call per connection, the same connections as HTTP. Bare Kestrel gRPC (BareKestrel's middleware) and the bare minimal API
  (`MapPost("/bench/echo")` buffering the body as Serve does) run the same echo as reference. Before each run the gRPC
  echo of that exact payload is checked (grpcio, status OK, bytes equal) and the HTTP echo likewise.
- Status check: before every load run, `bench/scripts/grpc_check.py` (Debian python3-grpcio, an independent gRPC stack)
  makes one `Call` and one `Stream(3)` and requires grpc-status OK, so h2load's 2xx counts are real gRPC OKs. During
  every gRPC load run, `bench/scripts/sample_check.py` sends the run's own call (same method, message and `application`
  metadata) 32 times through grpcio, a third of the way into the measured part, and fails the suite unless every one
  ends with status OK: an error status travels in the trailers of an HTTP 200, which h2load counts as a success.
- Streaming: `bench/BenchClient stream` (grpc-dotnet: `Grpc.Net.Client` with a Grpc.Tools-generated client) runs 1 or 16 concurrent loops of
  `Stream(count=1000)` calls over one HTTP/2 connection for the duration, checks every call's status OK and count, and
  reports messages/s (after 20 warm-up calls).
- Cold start: `bench/BenchClient coldstart` starts the process (`dotnet X.dll` for JIT, the published binary for AOT),
  calls `Noop/Call` every ~1 ms until a call returns status OK (time from `Process.Start` to that response), waits 1 s, reads
  `VmRSS` from `/proc/<pid>/status`, kills it. The five variants (Serve and bare, JIT and AOT, and the AOT gRPC quickstart) alternate in rounds; the first start of each round is
  a discarded warm-up (page cache, client JIT).
- Scale: Serve hosts with 1, 10, 100, 1000 replicas run side by side; idle RSS after readiness + 1 s, before load; then
  the unary h2load run, alternating N. Router cost is read as throughput and p50 relative to N = 1 (the router is
  internal; this is the end-to-end view). RSS per replica = (RSS(N) − RSS(1)) / (N − 1).
""")
md.append("## Commands (this run)\n")
md.append("```")
# Paths relative to the repository, as a reader's checkout would have them.
REPO_PREFIX = os.path.dirname(BENCH) + "/"
md.extend(l.rstrip().replace(REPO_PREFIX, "") for l in open(args.commands, encoding="utf-8"))
md.append("```\n")
md.append("AOT binary sizes:\n")
md.append("```")
md.extend(l.rstrip().replace(REPO_PREFIX, "") for l in open(args.aot_sizes, encoding="utf-8"))
md.append("```\n")
notes = os.path.join(BENCH, "ANALYSIS.md")
if os.path.exists(notes):
    md.append(open(notes, encoding="utf-8").read())
open(args.md, "w", encoding="utf-8").write("\n".join(md) + "\n")
print(f"wrote {args.md} and {args.svg}")
