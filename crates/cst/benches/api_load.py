#!/usr/bin/env python3
"""API latency under load: starts `cst run` replaying real Kraken hourly data at full speed
(--speed 0) and, from the moment the API listens, sends a bounded loop of state queries over
one keep-alive connection to 127.0.0.1. Reports p50/p99/max for the requests answered while the
engine was still replaying, and for all requests. Not a test: a measurement, run by hand.

usage: api_load.py CST_BINARY HOME_DIR [REQUESTS]
"""
import http.client, os, subprocess, sys, threading, time

binary, home = sys.argv[1], sys.argv[2]
requests = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
token = "load-test-token-0123456789abcdef"
env = dict(os.environ, CST_API_TOKEN=token)
args = [binary, "--home", home, "run", "--import", "../shared/data/kraken/ohlcvt/hourly-2013-2020",
        "--replay-store", "--pairs", "XBT/USD,ETH/USD", "--interval", "1h", "--strategy", "sma-cross",
        "--speed", "0", "--listen", "127.0.0.1:0", "--redis", ""]
proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
addr, done_at = None, [None]
for line in proc.stdout:
    if line.startswith("listening on http://"):
        addr = line.strip().removeprefix("listening on http://")
        break

def watch():
    for line in proc.stdout:
        if line.startswith("replay finished"):
            done_at[0] = time.perf_counter_ns()
            print(line.strip(), file=sys.stderr)
threading.Thread(target=watch, daemon=True).start()

host, port = addr.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port))
paths = ["/api/v1/snapshot", "/api/v1/positions", "/api/v1/risk", "/api/v1/agents"]
samples = []
for k in range(requests):
    path = paths[k % len(paths)]
    t0 = time.perf_counter_ns()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    resp.read()
    t1 = time.perf_counter_ns()
    assert resp.status == 200, (path, resp.status)
    samples.append((t0, t1 - t0))
proc.terminate()
proc.wait()

def stats(name, xs):
    xs = sorted(xs)
    if not xs:
        print(f"{name}: no samples")
        return
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))] / 1e6
    print(f"{name}: n={len(xs)} p50={q(0.50):.3f} ms p99={q(0.99):.3f} ms max={xs[-1] / 1e6:.3f} ms")

during = [d for t, d in samples if done_at[0] is None or t < done_at[0]]
stats("while replaying", during)
stats("all requests", [d for _, d in samples])
