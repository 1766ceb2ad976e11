"""The emulator's webhooks received by an app built on the unmodified `pywa` package (4.5.0, a
published Cloud API client), over real HTTP: pywa's own verification handler answers the
emulator's verification request, pywa's own validator checks `X-Hub-Signature-256` on the exact
bytes received, and pywa's own parser turns the delivery into its `AccountUpdate` type.
Then the emulator's signature modes: pywa refuses a tampered delivery (403) and one without a
signature (401), and the emulator journals those answers and retries.

The receiver is a standard-library HTTP server in this process, as an app's would be.

Usage: python pywa_webhook_flow.py BASE_URL
"""
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pywa import WhatsApp, utils
from pywa.handlers import AccountUpdateHandler
from pywa.types import AccountUpdate

base = sys.argv[1].rstrip("/")
CLUSTER = "pywa-webhooks"
SECRET = "pywa-app-secret-42"
VERIFY = "pywa-verify-token"

wa = WhatsApp(
    phone_id="1", token="EAAG-pywa", verify_token=VERIFY, app_secret=SECRET, server=None
)
updates = []
handled = threading.Event()


def on_account_update(_, update):
    updates.append(update)
    handled.set()


wa.add_handlers(AccountUpdateHandler(on_account_update))


class Webhook(BaseHTTPRequestHandler):
    """An app's webhook endpoint, every decision pywa's."""

    def log_message(self, *args):
        pass

    def answer(self, status, text):
        body = (text or "").encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        challenge, status = wa.webhook_challenge_handler(
            vt=query.get(utils.HUB_VT, [None])[0], ch=query.get(utils.HUB_CH, [None])[0]
        )
        self.answer(status, challenge)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        refused = wa.webhook_update_validator(body, self.headers.get(utils.HUB_SIG))
        if refused:
            self.answer(refused[1], refused[0])
            return
        text, status = wa.webhook_update_handler(body)
        self.answer(status, text)


server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
threading.Thread(target=server.serve_forever, daemon=True).start()
hook_url = f"http://127.0.0.1:{server.server_address[1]}/webhook"


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"{base}/_emulator/clusters/{CLUSTER}{path}", data=data, method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def graph(method, path):
    req = urllib.request.Request(
        f"{base}/clusters/{CLUSTER}/v23.0{path}", method=method,
        headers={"Authorization": "Bearer EAAG-pywa"},
    )
    with urllib.request.urlopen(req) as res:
        return json.loads(res.read())


control("DELETE", "")  # a cluster of its own, fresh

# A wrong verify token: pywa answers 403, the emulator keeps nothing and says so.
status, refused = control("PUT", "/webhooks", {
    "callback_url": hook_url, "verify_token": "not-it", "app_secret": SECRET,
})
assert status == 400 and "403" in json.dumps(refused), (status, refused)

# pywa's challenge handler answers the verification request.
status, kept = control("PUT", "/webhooks", {
    "callback_url": hook_url, "verify_token": VERIFY, "app_secret": SECRET,
})
assert status == 200, (status, kept)
waba = control("GET", "/cloud")[1]["waba_id"]
assert graph("POST", f"/{waba}/subscribed_apps") == {"success": True}

# A delivery pywa validates and parses into its own type.
status, sent = control("POST", "/webhooks/events", {
    "field": "account_update",
    "value": {"event": "ACCOUNT_VIOLATION", "violation_info": {"violation_type": "SCAM"}},
})
assert status == 200, (status, sent)
status, held = control("GET", "/webhooks/deliveries?status=delivered&at_least=1&wait=10")
assert held["reached"], held
assert handled.wait(10), "pywa's handler got the delivery"
assert len(updates) == 1, updates
update = updates[0]
assert isinstance(update, AccountUpdate), update
assert update.id == waba, update
assert update.event.value == "ACCOUNT_VIOLATION", update
assert update.violation_info.type == "SCAM", update

# What an app must refuse, pywa refuses: the emulator journals its answer and retries.
for i, (mode, expected) in enumerate((("tampered", 403), ("missing", 401), ("wrong_secret", 403))):
    status, _ = control("PUT", "/webhooks", {
        "callback_url": hook_url, "verify_token": VERIFY, "app_secret": SECRET,
        "signature": mode,
    })
    assert status == 200, (mode, status)
    status, sent = control("POST", "/webhooks/events", {
        "field": "account_update", "value": {"event": "ACCOUNT_DELETED"},
    })
    delivery_id = sent["delivery"]["id"]
    status, held = control(
        "GET", f"/webhooks/deliveries?status=retrying&at_least={i + 1}&wait=10"
    )
    mine = [d for d in held["deliveries"] if d["id"] == delivery_id]
    assert mine and mine[0]["attempts"][0]["status"] == expected, (mode, held)
time.sleep(0.5)
assert len(updates) == 1, "pywa handled only the validly signed delivery"
print("pywa validated, parsed and refused deliveries as an app must")
server.shutdown()
