"""The Cloud API's registration driven by the unmodified `pywa` package (4.5.0, a published
client of the Cloud API) against a running emulator: add a number, request a code, verify it,
register, read the number, deregister, and the errors pywa raises for the emulator's answers.

pywa fixes its base URL to https://graph.facebook.com; it takes the `httpx.Client` it sends
with as `session`, so a transport that sends every request to the emulator points it there.

Usage: python pywa_flow.py BASE_URL
"""
import json
import sys
import urllib.request

import httpx
from pywa import WhatsApp
from pywa.errors import RegistrationOrDeregistrationFailed, WhatsAppError

base = sys.argv[1].rstrip("/")
CLUSTER = "pywa"


class ToEmulator(httpx.HTTPTransport):
    """Sends each request to the emulator's cluster, the path (`/v23.0/...`) kept."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = httpx.URL(base)
        request.url = request.url.copy_with(
            scheme=target.scheme,
            host=target.host,
            port=target.port,
            path=f"/clusters/{CLUSTER}" + request.url.path,
        )
        request.headers["Host"] = target.netloc.decode()
        return super().handle_request(request)


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/_emulator" + path, data=data, method=method)
    with urllib.request.urlopen(req) as res:
        return json.load(res)


# A read of a cluster that does not exist is 404: the cluster is made first (a control write).
control("POST", f"/clusters/{CLUSTER}/reset")
waba = control("GET", f"/clusters/{CLUSTER}/cloud")["waba_id"]
wa = WhatsApp(
    token="EAAG-emulated-system-user-token",
    session=httpx.Client(transport=ToEmulator()),
    waba_id=waba,
)

# 1. A number on the account (pywa sends `country_code`).
created = wa.create_phone_number(
    country_calling_code="1", phone_number="6315550000", verified_name="Pywa Test"
)
phone_id = created.id
assert phone_id.isdigit(), created

# 2. Register before verifying: 133006, as pywa's WhatsAppError.
try:
    wa.register_phone_number(pin="123456", phone_id=phone_id)
    raise SystemExit("register before verification succeeded")
except WhatsAppError as e:
    assert e.code == 133006, e
    assert e.status_code == 400, e
    assert "request_code" in e.details, e

# 3. A code by SMS (pywa puts the parameters in the query string), read from the outbox.
assert wa.request_verification_code(code_method="SMS", language_code="en", phone_id=phone_id)
sent = control("GET", f"/clusters/{CLUSTER}/codes/latest?phone_number=6315550000")
assert sent["surface"] == "cloud" and sent["method"] == "sms", sent

# 4. A wrong code, then the right one.
wrong = "000000" if sent["code"] != "000000" else "111111"
try:
    wa.verify_phone_number(code=wrong, phone_id=phone_id)
    raise SystemExit("a wrong code was verified")
except WhatsAppError as e:
    assert e.code == 136025, e
assert wa.verify_phone_number(code=sent["code"], phone_id=phone_id)

# 5. Register (pywa sends a JSON body), then read the number with pywa's own field list.
assert wa.register_phone_number(pin="123456", phone_id=phone_id)
number = wa.get_business_phone_number(phone_id=phone_id)
assert number.id == phone_id, number
assert number.platform_type == "CLOUD_API", number
assert number.code_verification_status == "VERIFIED", number
assert number.display_phone_number == "+1 631-555-0000", number
assert number.is_pin_enabled, number
listed = wa.get_business_phone_numbers(waba_id=waba)
assert [n.id for n in listed] == [phone_id], listed

# 6. Deregister; a second deregister is 133010.
assert wa.deregister_phone_number(phone_id=phone_id)
try:
    wa.deregister_phone_number(phone_id=phone_id)
    raise SystemExit("a second deregister succeeded")
except WhatsAppError as e:
    assert e.code == 133010 and e.status_code == 400, e

# 6b. Graph's own errors parse as pywa's WhatsAppError with Graph's code, subcode and type (pywa
#     falls back to the HTTP status as the code when an answer lacks the `error` key).
try:
    wa.api._request("GET", f"/{phone_id}/foo")
    raise SystemExit("an unknown edge was answered")
except WhatsAppError as e:
    assert e.code == 2500 and e.status_code == 400, e
    assert e.message == "Unknown path components: /foo", e
    assert e.type == "OAuthException" and e.fbtrace_id, e
try:
    wa.api._request("DELETE", f"/{phone_id}")
    raise SystemExit("a delete of a phone number was answered")
except WhatsAppError as e:
    assert e.code == 100 and e.subcode == 33 and e.status_code == 400, e
    assert e.type == "GraphMethodException", e
    assert e.message.startswith(f"Unsupported delete request. Object with ID '{phone_id}'"), e

# 7. The register/deregister limit, forced for this number by a cloud rule: pywa raises its
#    own class for 133016.
control(
    "PUT",
    f"/clusters/{CLUSTER}/policy",
    {
        "policy": "scripted",
        "rules": [
            {
                "surface": "cloud",
                "operation": "register",
                "cc": "1",
                "phone_number": "6315550000",
                "outcome": "error",
                "status": 400,
                "code": 133016,
                "details": "forced for the pywa flow",
            }
        ],
    },
)
try:
    wa.register_phone_number(pin="123456", phone_id=phone_id)
    raise SystemExit("the forced 133016 did not come")
except RegistrationOrDeregistrationFailed as e:
    assert e.details == "forced for the pywa flow", e

print("pywa flow: ok")
