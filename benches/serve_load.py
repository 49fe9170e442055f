#!/usr/bin/env python3
"""The playground's server under load, measured: for the demo's run (income, 500 steps), the time
from sending the request to the first record and to the last line; the server's resident memory
idle and at its peak while 50 clients train at once. Python's standard library only.

    cargo build --release -p klfit-cli
    python3 benches/serve_load.py [target/release/klfit]

Prints one JSON object. The figures are in docs/performance.md; compare them as ratios measured in
one run on the same machine (they depend on the machine and its load).
"""
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/klfit"
DEMO = json.dumps({"dataset": "income"}).encode()


def memory_kib(pid, field):
    """VmRSS (now) or VmHWM (peak) of the process, KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def train(host, port, body=DEMO):
    """POSTs a run; returns (seconds to the first record, seconds to the last line, lines)."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=600)
    connection.request("POST", "/api/train", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200, response.read()
    first, lines = None, 0
    for line in response:
        lines += 1
        if first is None and b'"type":"record"' in line:
            first = time.perf_counter() - start
    last = time.perf_counter() - start
    connection.close()
    assert lines == 503, lines  # header, 501 records, summary
    return first, last, lines


def main():
    server = subprocess.Popen([BINARY, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
        port = int(port)
        time.sleep(0.5)
        idle_before = memory_kib(server.pid, "VmRSS")
        train(host, port)  # warm-up
        singles = [train(host, port) for _ in range(20)]
        idle_after = memory_kib(server.pid, "VmRSS")

        results = [None] * 50
        def client(i):
            results[i] = train(host, port)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        burst = time.perf_counter() - start
        peak = memory_kib(server.pid, "VmHWM")
        after = memory_kib(server.pid, "VmRSS")

        ms = lambda s: round(1000 * s, 1)
        print(json.dumps({
            "demo_run_first_record_ms_median": ms(statistics.median(s[0] for s in singles)),
            "demo_run_last_line_ms_median": ms(statistics.median(s[1] for s in singles)),
            "idle_rss_mib": round(idle_before / 1024, 1),
            "rss_after_21_runs_mib": round(idle_after / 1024, 1),
            "fifty_clients_wall_s": round(burst, 2),
            "fifty_clients_last_line_ms_median": ms(statistics.median(r[1] for r in results)),
            "peak_rss_mib": round(peak / 1024, 1),
            "rss_after_fifty_mib": round(after / 1024, 1),
        }, indent=1))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
