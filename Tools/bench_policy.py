#!/usr/bin/env python3
"""DNNShifter policy under a CPU hog (issue 9), host, loopback only, release build.

One edged pinned to core 0 (taskset) serves a portfolio; a closed-loop client
(`edgec loadgen --trace`, pinned to core 1) runs through three phases: quiet, a CPU hog
pinned to core 0 (the agent's core), quiet again. Three runs of the same schedule:
  policy   `edgec policy manifest.json --budget-ms B`
  largest  policy off, the most accurate variant always active
  smallest policy off, the fastest variant always active
Reported per run and phase: requests, share of requests over the budget and p95, both
on the latency the agent measures (kernel receive stamp of the request -> reply ready,
as the policy sees it), the client's p95, time-weighted accuracy of the served variant
(accuracy from the manifest, each request weighted by the time until the next one), the
changes of the served variant; for the policy its step-down time (hog start -> first
switch to a less accurate variant), step-up time (hog stop -> first switch to a more
accurate one) and back time (hog stop -> as accurate as at the end of the first quiet
phase), and its switch count (status).

  Tools/bench_policy.py [--budget-ms B] [--phase-s S] [--portfolio batched|reconvene|imp]
                        [--batch N] [--hog-nice N] [--agent-nice N]

Default portfolio ("batched"): the Reconvene digits variants (Tests/Fixtures/reconvene:
dense to 3% of the parameters) with a batch of N images (default 64) per request, made
here from the fixtures (same trained weights, the input's and output's leading dimension
set to N) and their accuracy measured again with onnxruntime over the digits test split
(seed 0, as they were trained), in batches of N. One request then runs 2-8 ms, longer
than a scheduler slice, which the single-image variants (0.04-0.13 ms) are not: a hog
sharing the core preempts those runs rarely. "reconvene" and "imp" are the single-image
fixtures. OPENBLAS_CORETYPE is left as the machine has it.
"""
import argparse, json, os, shutil, subprocess, sys, time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
E = os.path.join(ROOT, ".build/release/edgec")
D = os.path.join(ROOT, ".build/release/edged")
OUT = os.path.join(ROOT, "out/bench_policy")


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw).stdout


def niced(cmd, nice):
    return ["nice", "-n", str(nice)] + cmd if nice else cmd


def start_agent(store, nice):
    port_file = os.path.join(store, "port")
    os.makedirs(store, exist_ok=True)
    if os.path.exists(port_file):
        os.remove(port_file)
    p = subprocess.Popen(niced(["taskset", "-c", "0"], nice) + [D, "--listen", "127.0.0.1:0", "--store", os.path.join(store, "s"),
                          "--trust", os.path.join(OUT, "ops.pub"), "--port-file", port_file, "--workers", "1",
                          "--resident", "8", "--quiet"])
    for _ in range(100):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return p, "127.0.0.1:" + open(port_file).read().strip()
        time.sleep(0.1)
    p.kill()
    sys.exit("edged did not start")


def run(mode, manifest, variants, budget, phase_s, sample, hog_nice, agent_nice):
    agent, addr = start_agent(os.path.join(OUT, mode), agent_nice)
    key = ["--key", os.path.join(OUT, "ops.key")]
    hog = None
    try:
        for v in variants:
            sh(E, "push", os.path.join(OUT, v["name"] + ".edgs"), "--to", addr, *key)
        first = variants[0]["name"] if mode != "smallest" else min(variants, key=lambda v: v["latency_ms"])["name"]
        sh(E, "activate", first, "--to", addr, *key)
        for v in variants:  # warm every variant once (all resident)
            sh(E, "activate", v["name"], "--to", addr, *key)
            sh(E, "infer", "--to", addr, "--input", sample, "--output-dir", os.path.join(OUT, "infer"))
        sh(E, "activate", first, "--to", addr, *key)
        if mode == "policy":
            sh(E, "policy", manifest, "--budget-ms", str(budget), "--to", addr, *key)
        trace = os.path.join(OUT, mode + ".csv")
        load = subprocess.Popen(niced(["taskset", "-c", "1"], agent_nice) + [E, "loadgen", "--to", addr, "--input", sample, "--concurrency", "1",
                                 "--duration", str(3 * phase_s), "--trace", trace, "--json"], stdout=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        time.sleep(phase_s)
        hog = subprocess.Popen(["nice", "-n", str(hog_nice), "taskset", "-c", "0", sys.executable, "-c", "while True: pass"])
        hog_on = time.monotonic() - t0
        time.sleep(phase_s)
        hog.kill(); hog.wait(); hog = None
        hog_off = time.monotonic() - t0
        summary = json.loads(load.communicate()[0])
        status = json.loads(sh(E, "status", "--to", addr, "--json"))
    finally:
        if hog:
            hog.kill()
        agent.kill()
        agent.wait()
    rows = []
    for line in open(trace).read().splitlines()[1:]:
        s, ms, agent_ms, v = line.split(",")
        # the budget is on what the agent measures (queue + run), as the policy sees it
        rows.append((float(s), float(agent_ms), v, float(ms)))
    # the loadgen started a little after t0: align on its own clock (its start ~= t0)
    return rows, hog_on, hog_off, summary, status


def analyse(rows, hog_on, hog_off, end, acc, budget):
    phases = [("quiet", 0, hog_on), ("hog", hog_on, hog_off), ("quiet again", hog_off, end)]
    out = []
    for name, a, b in phases:
        rs = [r for r in rows if a <= r[0] < b]
        if not rs:
            out.append((name, 0, 0, 0, 0, 0, 0))
            continue
        # changes of the served variant between consecutive requests (flapping shows here)
        changes = sum(1 for i in range(1, len(rs)) if rs[i][2] and rs[i - 1][2] and rs[i][2] != rs[i - 1][2])
        lat = sorted(r[1] for r in rs)
        client = sorted(r[3] for r in rs)
        over = sum(1 for r in rs if r[1] > budget or not r[2])
        weighted, span = 0.0, 0.0
        for i, r in enumerate(rs):
            nxt = rs[i + 1][0] if i + 1 < len(rs) else b
            w = max(0.0, nxt - r[0])
            weighted += w * acc.get(r[2], 0.0)
            span += w
        out.append((name, len(rs), over / len(rs), lat[int(0.95 * (len(lat) - 1))], weighted / max(span, 1e-9),
                    client[int(0.95 * (len(client) - 1))], changes))
    # Switch events from the served variants: (time, up?). Step-down: hog start -> the
    # first switch to a less accurate variant; step-up: hog stop -> the first switch to a
    # more accurate one; back: hog stop -> serving (again) at least as accurately as at
    # the end of the first quiet phase.
    served = sorted((r[0], r[2]) for r in rows if r[2])
    events, prev = [], None
    for t, v in served:
        if prev is not None and v != prev:
            events.append((t, acc.get(v, 0.0) > acc.get(prev, 0.0)))
        prev = v
    down = next((t - hog_on for t, up in events if hog_on <= t < hog_off and not up), None)
    up = next((t - hog_off for t, u in events if t >= hog_off and u), None)
    before = [v for t, v in served if t < hog_on]
    level = acc.get(before[-1], 0.0) if before else 0.0
    back = next((t - hog_off for t, v in served if t >= hog_off and acc.get(v, 0.0) >= level), None)
    return out, down, up, back


def batched_portfolio(src, out, batch):
    """The fixtures of `src` with a leading dimension of `batch`, accuracy measured again
    (onnxruntime, digits test split of seed 0, the last partial batch padded with zeros
    and its padding ignored). Returns the ONNX paths and a sample input (.npy)."""
    import onnx
    sys.path.insert(0, os.path.join(ROOT, "Tools"))
    import train_digits_portfolio as tdp
    _, _, x_te, y_te = tdp.load_data(0)
    os.makedirs(out, exist_ok=True)
    paths = []
    for f in sorted(os.listdir(src)):
        if not f.endswith(".onnx"):
            continue
        m = onnx.load(os.path.join(src, f))
        for v in list(m.graph.input) + list(m.graph.output):
            v.type.tensor_type.shape.dim[0].dim_value = batch
        del m.graph.value_info[:]
        path = os.path.join(out, f)
        onnx.save(m, path)
        sess = tdp.ort_session(path)
        hits = 0
        for i in range(0, len(x_te), batch):
            x = x_te[i:i + batch]
            n = len(x)
            if n < batch:
                x = np.concatenate([x, np.zeros((batch - n,) + x.shape[1:], np.float32)])
            pred = sess.run(["logits"], {"image": x})[0][:n].argmax(axis=1)
            hits += int((pred == y_te[i:i + n]).sum())
        meta = {p.key: p.value for p in m.metadata_props}
        meta["edge.accuracy"] = "%.4f" % (hits / len(x_te))
        meta["edge.batch"] = str(batch)
        del m.metadata_props[:]
        for k, v in meta.items():
            m.metadata_props.add(key=k, value=v)
        onnx.save(m, path)
        paths.append(path)
    sample = os.path.join(out, "sample.npy")
    np.save(sample, np.ascontiguousarray(x_te[:batch]))
    return paths, sample


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget-ms", type=float, default=None, help="p95 budget (default: 1.5x the largest variant's offline latency)")
    ap.add_argument("--phase-s", type=float, default=10)
    ap.add_argument("--portfolio", choices=["batched", "reconvene", "imp"], default="batched")
    ap.add_argument("--batch", type=int, default=64, help="images per request of the batched portfolio")
    ap.add_argument("--hog-nice", type=int, default=0, help="nice value of the hog (negative: it outranks the agent; needs root)")
    ap.add_argument("--agent-nice", type=int, default=0,
                    help="nice value of edged, the load client and the portfolio measurement (negative, with the same"
                         " --hog-nice: on a machine others load, the agent and the hog then compete mainly with each other)")
    a = ap.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    if not (os.access(E, os.X_OK) and os.access(D, os.X_OK)):
        subprocess.run(["swift", "build", "-c", "release", "--product", "edgec"], cwd=ROOT, check=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "edged"], cwd=ROOT, check=True)
    src = os.path.join(ROOT, "Tests/Fixtures", "portfolio" if a.portfolio == "imp" else "reconvene")
    if a.portfolio == "batched":
        onnx, sample_npy = batched_portfolio(src, os.path.join(OUT, "batched"), a.batch)
    else:
        onnx = sorted(os.path.join(src, f) for f in os.listdir(src) if f.endswith(".onnx"))
        sample_npy = os.path.join(ROOT, "Tests/Fixtures/portfolio/sample_0.npy")
    pf = os.path.join(OUT, "portfolio")
    sh(*niced(["taskset", "-c", "0", E], a.agent_nice), "portfolio", *onnx, "-o", pf, "--iterations", "200")
    manifest = os.path.join(pf, "manifest.json")
    m = json.load(open(manifest))
    sh(E, "keygen", "--out", os.path.join(OUT, "ops"))
    variants = []
    for v in m["variants"]:
        name = v["file"][:-5]
        sh(E, "sign", os.path.join(pf, v["file"]), "--key", os.path.join(OUT, "ops.key"), "--name", name, "--version", "1",
           "-o", os.path.join(OUT, name + ".edgs"))
        variants.append({"name": name, "latency_ms": v["latency_ms"], "accuracy": v.get("accuracy", 0.0)})
    variants.sort(key=lambda v: -v["accuracy"])
    acc = {v["name"]: v["accuracy"] for v in variants}
    budget = a.budget_ms or round(1.5 * variants[0]["latency_ms"], 3)
    sample = "image=" + sample_npy
    print("portfolio (%s): " % a.portfolio + ", ".join("%s %.4f ms acc %.4f" % (v["name"], v["latency_ms"], v["accuracy"]) for v in variants))
    print("budget: p95 <= %.3f ms; phases of %.0f s: quiet, CPU hog (nice %d) on the agent's core (agent nice %d), quiet; load %s"
          % (budget, a.phase_s, a.hog_nice, a.agent_nice, open("/proc/loadavg").read().split()[0]))
    results = {}
    for mode in ["policy", "largest", "smallest"]:
        rows, on, off, summary, status = run(mode, manifest, variants, budget, a.phase_s, sample, a.hog_nice, a.agent_nice)
        phases, down, up, back = analyse(rows, on, off, 3 * a.phase_s, acc, budget)
        results[mode] = {"phases": phases, "step_down_s": down, "step_up_s": up, "back_s": back, "failed": summary["failed"],
                         "policy_switches": status["policy_switches"]}
    print("\n| run | phase | requests | over budget (agent-side) | agent p95 ms | client p95 ms | accuracy (time-weighted) | variant changes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for mode, r in results.items():
        for name, n, over, p95, accw, cp95, changes in r["phases"]:
            print("| %s | %s | %d | %.1f%% | %.3f | %.3f | %.4f | %d |" % (mode, name, n, 100 * over, p95, cp95, accw, changes))
    p = results["policy"]
    fmt = lambda x: "n/a" if x is None else "%.2f s" % x
    print("\npolicy: first step down %s after the hog started, first step up %s after it stopped, back to the quiet"
          " level %s after it stopped; %d policy switches; failed requests: %s"
          % (fmt(p["step_down_s"]), fmt(p["step_up_s"]), fmt(p["back_s"]), p["policy_switches"],
             ", ".join("%s %d" % (k, v["failed"]) for k, v in results.items())))
    json.dump(results, open(os.path.join(OUT, "results.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
