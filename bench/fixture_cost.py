"""The pytest fixture's own cost per test on a warm session: what `wa_cluster` does around a
test (make the cluster, delete it), timed over many rounds against one emulator started by the
Python package, its control calls on a kept-open connection.

    cargo build --release
    WA_EMU_BINARY=target/release/wa-onprem-emulator PYTHONPATH=python python3 bench/fixture_cost.py

Prints the median and the 90th percentile per test, in milliseconds (the goal: under 0.5 ms).
"""

import os
import statistics
import sys
import time
import uuid

from wa_onprem_emulator import Emulator

ROUNDS = int(os.environ.get("ROUNDS", "5000"))
WARM_UP = 500


def one_test(emulator: Emulator) -> float:
    """What the fixture does before and after a test, as `pytest_plugin.wa_cluster` does it."""
    started = time.perf_counter()
    cluster = emulator.cluster(f"test-{uuid.uuid4().hex[:8]}")
    cluster.reset()
    cluster.delete()
    return time.perf_counter() - started


def main() -> int:
    with Emulator(log_level="warn") as emulator:
        for _ in range(WARM_UP):
            one_test(emulator)
        times = sorted(one_test(emulator) for _ in range(ROUNDS))
    median = statistics.median(times) * 1000
    p90 = times[int(len(times) * 0.9)] * 1000
    print(f"fixture cost per test, {ROUNDS} rounds: median {median:.3f} ms, p90 {p90:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
