"""The package as a user of it sees it: the pytest plugin's fixtures with the published
`wabclient` client of the real On-Premises API, and the module's cluster helpers."""

import os
import subprocess
import sys
import threading

import pytest
import requests
from wabclient.client import Client

from wa_onprem_emulator import Emulator, EmulatorError


def session(cluster):
    """A requests session addressed to `cluster`: wabclient keeps only the host of its base URL,
    so the cluster goes in a header."""
    s = requests.Session()
    s.headers.update(cluster.headers)
    return s


def registered_client(cluster, number="6315550000", vname="Caffè Sport"):
    """Logs in (changing the factory password, as the real API asks) and registers +1 `number`
    with wabclient, reading the code from the cluster; the client."""
    root = cluster.emulator.url
    first = session(cluster)
    first.auth = ("admin", "secret")
    Client(root, session=first).config.set_initial_password("N3w!passw0rd")
    client = Client(root, session=session(cluster))
    client.config.login("admin", "N3w!passw0rd")
    account = client.config.request_code("+1" + number, cluster.make_cert(vname))
    assert account == {"vname": vname}, account
    client.config.register(cluster.latest_code("1", number))
    return client


def test_wabclient_registers_a_number_in_its_own_cluster(wa_cluster):
    client = registered_client(wa_cluster)
    assert client.healthcheck()["health"]["gateway_status"] == "connected"
    paths = [entry["path"] for entry in wa_cluster.journal()]
    assert "/v1/account/verify" in paths, paths


def test_two_tests_in_parallel_clusters_do_not_interfere(wa_emulator):
    clusters = [wa_emulator.cluster(f"parallel-{i}") for i in range(2)]
    results, errors = {}, []

    def run(cluster):
        try:
            client = registered_client(cluster, vname=cluster.name)
            results[cluster.name] = client.healthcheck()["health"]["gateway_status"]
        except Exception as e:  # reported below, with the cluster
            errors.append((cluster.name, e))

    threads = [threading.Thread(target=run, args=(c,)) for c in clusters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert results == {"parallel-0": "connected", "parallel-1": "connected"}
    # The same number in each, each with its own code and verified name.
    for cluster in clusters:
        codes = wa_emulator.control("GET", f"/clusters/{cluster.name}/codes")["codes"]
        assert [c["vname"] for c in codes] == [cluster.name], codes
        cluster.reset()


def test_the_cluster_helpers_steer_the_emulator(wa_cluster):
    wa_cluster.set_policy("sunset")
    first = requests.Session()
    first.auth = ("admin", "secret")
    answer = first.post(wa_cluster.url + "/v1/users/login", json={"new_password": "N3w!passw0rd"})
    token = answer.json()["users"][0]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"cc": "1", "phone_number": "6315550000", "method": "sms",
            "cert": wa_cluster.make_cert("Acme")}
    refused = requests.post(wa_cluster.url + "/v1/account", json=body, headers=auth)
    assert refused.status_code == 403
    assert "biz_link_on_prem_reg_blocked" in refused.json()["errors"][0]["details"]

    wa_cluster.set_policy("classic")
    armed = wa_cluster.arm_fault("/v1/account", {"type": "not_ready"})
    assert armed[0]["remaining"] == 1
    assert requests.post(wa_cluster.url + "/v1/account", json=body, headers=auth).status_code == 503
    assert requests.post(wa_cluster.url + "/v1/account", json=body, headers=auth).status_code == 202

    before = wa_cluster.advance_clock(601)
    assert before["offset_seconds"] >= 601
    # The code sent a moment ago is now stale on the cluster's clock.
    code = wa_cluster.latest_code("1", "6315550000")
    stale = requests.post(wa_cluster.url + "/v1/account/verify", json={"code": code}, headers=auth)
    assert stale.json()["errors"][0]["details"] == "Unknown error: stale"

    wa_cluster.reset()
    assert wa_cluster.journal() == []


def test_a_bad_setting_is_said_at_start():
    with pytest.raises(EmulatorError, match="--code-ttl"):
        Emulator(code_ttl="soon").start()


def test_the_session_emulator_keeps_answering_5000_requests(wa_emulator, wa_cluster):
    # One access line per request on the emulator's stderr: a launcher that does not read it
    # stalls the emulator after a few hundred (the pipe holds 64 KiB).
    s = session(wa_cluster)
    for _ in range(5000):
        answer = s.get(wa_emulator.url + "/v1/health", timeout=10)
        assert answer.status_code == 401
    assert requests.get(wa_emulator.url + "/_emulator/health", timeout=10).json()["status"] == "ok"


def test_an_emulator_of_ones_own_keeps_answering_and_keeps_its_log(tmp_path):
    log = tmp_path / "emulator.log"
    with Emulator(admin_password="Adm1n!pass", log_file=log) as emulator:
        s = requests.Session()
        for _ in range(5000):
            assert s.get(emulator.url + "/_emulator/health", timeout=10).status_code == 200
        tail = emulator.log_tail()
    assert "listening on" in log.read_text()
    assert log.read_text().count("GET /_emulator/health 200") >= 4000
    assert "GET /_emulator/health 200" in tail


def test_a_failed_start_reports_the_emulators_own_words(tmp_path):
    with pytest.raises(EmulatorError, match="admin-password"):
        Emulator(admin_password="weak", log_file=tmp_path / "e.log").start()
    assert "admin-password" in (tmp_path / "e.log").read_text()


_FIXTURE_CLUSTERS = []


def test_a_test_s_cluster_exists_while_it_runs(wa_emulator, wa_cluster):
    wa_cluster.set_policy("sunset")
    _FIXTURE_CLUSTERS.append(wa_cluster.name)
    assert wa_cluster.name in wa_emulator.control("GET", "/clusters")["clusters"]


def test_the_fixture_deleted_the_cluster_of_the_test_before(wa_emulator):
    assert _FIXTURE_CLUSTERS, "runs after test_a_test_s_cluster_exists_while_it_runs"
    assert _FIXTURE_CLUSTERS[0] not in wa_emulator.control("GET", "/clusters")["clusters"]


def test_a_cluster_can_be_deleted_once(wa_emulator):
    cluster = wa_emulator.cluster("deleted-by-hand")
    cluster.set_policy("sunset")
    assert cluster.delete() is True
    assert cluster.delete() is False
    assert "deleted-by-hand" not in wa_emulator.control("GET", "/clusters")["clusters"]


def test_a_log_file_that_cannot_be_written_is_said_before_anything_starts(tmp_path):
    with pytest.raises(OSError):
        Emulator(log_file=tmp_path / "no-such-folder" / "e.log").start()


def test_the_journal_helpers_verify_what_a_test_sent(wa_cluster):
    session = requests.Session()
    session.auth = ("admin", "secret")
    token = session.post(
        wa_cluster.url + "/v1/users/login", json={"new_password": "N3w!passw0rd"}
    ).json()["users"][0]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"cc": "1", "phone_number": "6315550000", "method": "sms",
            "cert": wa_cluster.make_cert("Acme")}
    assert requests.post(wa_cluster.url + "/v1/account", json=body, headers=auth).status_code == 202
    # A typo of the client under test: no route took it.
    assert requests.post(wa_cluster.url + "/v1/acount", json=body, headers=auth).status_code == 404

    assert wa_cluster.count(method="POST", path="/v1/account", body={"cc": "1"}) == 1
    assert wa_cluster.count(surface="on_premises") == 3
    wa_cluster.assert_requested("POST", "/v1/account", times=1, status=202)
    with pytest.raises(AssertionError, match="POST /v1/acount -> 404") as failed:
        wa_cluster.assert_requested("POST", "/v1/account/verify")
    # One space between words, and pytest's traceback ends at the test's own line.
    assert str(failed.value).startswith("POST /v1/account/verify was requested 0 time(s)")
    assert failed.traceback[-1].frame.f_locals.get("__tracebackhide__") is True
    assert wa_cluster.wait_for_requests(1, timeout=1, path="/v1/account") == 1
    with pytest.raises(AssertionError, match="expected at least 2"):
        wa_cluster.wait_for_requests(2, timeout=0.2, path="/v1/account")
    [typo] = wa_cluster.unmatched()
    assert typo["path"] == "/v1/acount" and typo["near_miss"] == "POST /v1/account", typo
    assert [r["status"] for r in wa_cluster.requests(path="/v1/*")] == [202, 404]


def test_a_snapshot_restores_into_another_cluster(wa_emulator, wa_cluster):
    wa_cluster.set_policy("sunset")
    wa_cluster.arm_fault("/v1/health", {"type": "not_ready"}, times=3)
    state = wa_cluster.snapshot()
    copy = wa_emulator.cluster(wa_cluster.name + "-copy")
    try:
        copy.restore(state)
        again = copy.snapshot()
        again["cluster"] = state["cluster"]
        assert again == state
        assert again["meta"]["policy"] == "sunset" and again["faults"][0]["times"] == 3
    finally:
        copy.delete()


_INNER_SUITE = '''
import requests

def test_the_flags_of_the_ini_reach_the_emulator(wa_cluster):
    login = requests.post(wa_cluster.url + "/v1/users/login", auth=("admin", "Adm1n!pass"))
    token = login.json()["users"][0]["token"]
    body = {"cc": "1", "phone_number": "6315550000", "method": "sms",
            "cert": wa_cluster.make_cert("Acme")}
    sent = requests.post(wa_cluster.url + "/v1/account", json=body,
                         headers={"Authorization": f"Bearer {token}"})
    assert sent.status_code == 202, sent.text
    assert wa_cluster.latest_code("1", "6315550000") == "123456"

def test_a_typo_of_the_client_under_test(wa_cluster):
    requests.post(wa_cluster.url + "/v1/acount", json={})
'''


def test_strict_mode_and_the_ini_flags(tmp_path):
    """A suite of its own, in a pytest of its own: the ini's `wa_emulator_args` start the
    emulator; `wa_emulator_strict` fails the test whose cluster saw a request no route took,
    naming it and the route it most likely meant."""
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nwa_emulator_args = --admin-password Adm1n!pass --fixed-code 123456\n"
        "wa_emulator_strict = true\n")
    (tmp_path / "test_inner.py").write_text(_INNER_SUITE)
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    said = run.stdout + run.stderr
    assert run.returncode == 1, said
    # The typo test passes its call and fails at teardown, where the cluster is checked.
    assert "2 passed, 1 error" in said, said
    assert "POST /v1/acount -> 404 (not_found.route); closest route: POST /v1/account" in said, said


def test_wa_emu_url_points_the_session_at_a_running_emulator(tmp_path, wa_emulator):
    """`WA_EMU_URL` (which the GitHub Action sets for the job's later steps) is as
    `--wa-emulator-url`: the session uses that emulator and starts none."""
    (tmp_path / "test_inner.py").write_text(
        "import os\n"
        "def test_uses_it(wa_emulator):\n"
        "    assert wa_emulator.pid is None\n"
        "    assert wa_emulator.url == os.environ['WA_EMU_URL']\n"
        "    wa_emulator.cluster('made-by-the-inner-run').reset()\n")
    env = {**os.environ, "WA_EMU_URL": wa_emulator.url}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    # The inner run's cluster is on this emulator.
    assert wa_emulator.cluster("made-by-the-inner-run").delete()


def _gone_within(pid: int, seconds: float) -> bool:
    """Whether process `pid` has ended (or is a zombie nobody reaped yet) within `seconds`."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


LAUNCHER = """
import sys, time
from wa_onprem_emulator import Emulator
emulator = Emulator().start()
print(emulator.pid, emulator.url, flush=True)
if sys.argv[1] == "wait":
    time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("end", ["SIGKILL", "SIGTERM", "SIGINT", "exit without stop()"])
def test_an_emulator_ends_with_the_process_that_started_it(end):
    import signal

    mode = "exit" if end.startswith("exit") else "wait"
    parent = subprocess.Popen([sys.executable, "-c", LAUNCHER, mode], stdout=subprocess.PIPE,
                              text=True)
    pid_text, url = parent.stdout.readline().split()
    pid = int(pid_text)
    if mode == "wait":
        assert requests.get(url + "/_emulator/health").status_code == 200
        parent.send_signal(getattr(signal, end))
    parent.wait(10)
    assert _gone_within(pid, 2.0), f"the emulator {pid} outlived its parent ({end})"


def test_emulator_repr_and_a_url_before_start_say_what_to_do():
    emulator = Emulator(admin_password="Adm1n!pass")
    assert repr(emulator) == "<Emulator not started>"
    with pytest.raises(EmulatorError, match="only describes it; start it with"):
        emulator.url
    with emulator:
        assert repr(emulator).startswith("<Emulator http://127.0.0.1:")
        cluster = emulator.cluster("shown")
        assert repr(cluster) == f"<Cluster 'shown' at {emulator.url}/clusters/shown>"


def test_a_handler_of_the_apps_own_receives_signed_webhooks(wa_cluster):
    """The app's webhook endpoint, a standard-library server: it answers Meta's verification
    request and checks each delivery's X-Hub-Signature-256 on the exact bytes received."""
    import hashlib
    import hmac
    import json
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    secret = "py-app-secret"
    received = []

    class Webhook(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            ok = q.get("hub.verify_token") == ["py-verify"]
            body = (q["hub.challenge"][0] if ok else "no").encode()
            self.send_response(200 if ok else 403)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(self.headers.get("X-Hub-Signature-256", ""), expected)
            received.append((valid, json.loads(raw)))
            self.send_response(200 if valid else 403)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
    try:
        with pytest.raises(EmulatorError) as refused:
            wa_cluster.set_webhooks(url, "wrong", secret)
        assert refused.value.status == 400 and "403" in str(refused.value)
        hook = wa_cluster.set_webhooks(url, "py-verify", secret)
        assert hook["app_secret"] == "<redacted>"
        waba = wa_cluster.emulator.control("GET", f"/clusters/{wa_cluster.name}/cloud")["waba_id"]
        subscribed = requests.post(
            f"{wa_cluster.url}/v23.0/{waba}/subscribed_apps",
            headers={"Authorization": "Bearer EAAG-py"},
        )
        assert subscribed.json() == {"success": True}
        made = wa_cluster.send_event(
            "security", {"display_phone_number": "16315550000", "event": "PIN_CHANGED"}
        )
        delivered = wa_cluster.wait_for_delivery(field="security")
        assert delivered["id"] == made["id"]
        assert received == [(True, json.loads(delivered["body"]))]
        assert received[0][1]["entry"][0]["changes"][0]["value"]["event"] == "PIN_CHANGED"
        with pytest.raises(AssertionError, match="security delivered"):
            wa_cluster.wait_for_delivery(field="account_update", timeout=0.2)
        assert len(wa_cluster.deliveries(status="delivered")) == 1
        assert wa_cluster.delete_webhooks() is True
    finally:
        server.shutdown()
