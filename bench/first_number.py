"""The first Cloud API number of a fresh process: how long after the health check answers a
client adds a number and reads it back (`POST /v23.0/{waba}/phone_numbers`, then `GET` the
list), over fresh processes of the binary. Phone-number metadata is loaded on first use, a
calling code's main territory at a time: this is what that first use costs.

    cargo build --release
    python3 bench/first_number.py target/release/wa-onprem-emulator [CC NUMBER]

Prints the median and the slowest of 15 processes, in milliseconds (the goal: under 5 ms).
"""

import http.client
import json
import socket
import statistics
import subprocess
import sys
import time

ROUNDS = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(conn, method, path, body=None):
    headers = {"Authorization": "Bearer EAAG-bench"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    res = conn.getresponse()
    data = res.read()
    if res.status != 200:
        raise SystemExit(f"{method} {path}: {res.status} {data!r}")
    return json.loads(data)


def one(binary: str, cc: str, number: str) -> float:
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--listen", f"127.0.0.1:{port}", "--log-level", "warn"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/_emulator/health")
                if conn.getresponse().read() and True:
                    break
            except OSError:
                time.sleep(0.0005)
        waba = call(conn, "GET", "/_emulator/clusters/default/cloud")["waba_id"]
        started = time.perf_counter()
        call(
            conn,
            "POST",
            f"/v23.0/{waba}/phone_numbers",
            {"cc": cc, "phone_number": number, "verified_name": "Bench"},
        )
        listed = call(conn, "GET", f"/v23.0/{waba}/phone_numbers")
        elapsed = time.perf_counter() - started
        assert listed["data"][0]["display_phone_number"].startswith("+" + cc), listed
        return elapsed * 1000
    finally:
        proc.terminate()
        proc.wait()


def main() -> int:
    binary = sys.argv[1]
    cc, number = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else ("1", "6315550000")
    times = [one(binary, cc, number) for _ in range(ROUNDS)]
    print(
        f"first number (+{cc} {number}) after health, {ROUNDS} processes: "
        f"median {statistics.median(times):.2f} ms, slowest {max(times):.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
