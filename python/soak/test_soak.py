"""A bounded soak of the pytest fixture (run by .ci/run, about a minute): a thousand tests, each
with a cluster of its own and a whole registration in it, against one emulator. Each cluster is
deleted when its test ends, so the emulator's memory at the end is what it was at the start
(the figures are printed). Run it with `pytest -s python/soak`.
"""

import os

import pytest
import requests

TESTS = int(os.environ.get("WA_EMU_SOAK_TESTS", "1000"))
#: Growth of the emulator's resident memory allowed over the whole run, in KiB: clusters are
#: deleted as their tests end, so nothing of theirs should remain.
ALLOWED_GROWTH_KIB = 8 * 1024
#: Tests run before the memory is first measured.
WARM_UP = 200


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="session")
def memory(wa_emulator):
    """The emulator's resident memory at the start and the end of the soak."""
    pid = wa_emulator.pid
    if pid is None or not os.path.exists(f"/proc/{pid}/status"):
        yield None
        return
    # Measured from the 200th test on: by then the allocator's pools exist and the event stream's
    # buffer (the last 1,024 events, bounded) is full; what grows after that would be a leak.
    start = {"rss": None}
    yield start
    end = rss_kib(pid)
    clusters = wa_emulator.control("GET", "/clusters")["count"]
    grown = end - start["rss"]
    print(f"\nsoak: {TESTS} tests, each a cluster with a whole registration, deleted at its end: "
          f"emulator RSS {start['rss']} KiB after the first {WARM_UP} → {end} KiB at the end "
          f"({grown:+d} KiB); {clusters} clusters left")
    assert clusters == 0, f"{clusters} clusters left behind"
    assert grown < ALLOWED_GROWTH_KIB, f"the emulator's memory grew by {grown} KiB"


@pytest.mark.parametrize("n", range(TESTS))
def test_a_whole_registration_in_a_cluster_of_its_own(wa_emulator, wa_cluster, memory, n):
    if memory is not None and n == min(WARM_UP, TESTS - 1):
        memory["rss"] = rss_kib(wa_emulator.pid)
    s = requests.Session()
    s.headers.update(wa_cluster.headers)
    login = s.post(wa_emulator.url + "/v1/users/login", auth=("admin", "secret"),
                   json={"new_password": "N3w!passw0rd"}, timeout=10)
    assert login.status_code == 200, login.text
    s.headers["Authorization"] = "Bearer " + login.json()["users"][0]["token"]
    number = f"631555{n:04d}"
    body = {"cc": "1", "phone_number": number, "method": "sms",
            "cert": wa_cluster.make_cert(f"Soak {n}")}
    assert s.post(wa_emulator.url + "/v1/account", json=body, timeout=10).status_code == 202
    code = wa_cluster.latest_code("1", number)
    verified = s.post(wa_emulator.url + "/v1/account/verify", json={"code": code}, timeout=10)
    assert verified.status_code == 201, verified.text
    health = s.get(wa_emulator.url + "/v1/health", timeout=10).json()
    assert health["health"]["gateway_status"] == "connected"
