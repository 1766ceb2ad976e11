"""The Cloud API's registration driven by Meta's own Python SDK, `facebook-business` (unmodified),
against an emulator started with `--app-secret` and `--require-appsecret-proof`: the SDK adds
`appsecret_proof` to every call by itself once given the app secret, as Meta's "Securing Graph
API Requests" asks. It adds numbers, lists them page by page, requests a code, verifies it,
registers and reads the number; a wrong secret and no secret meet Graph's own errors.

The SDK's base URL is its `FacebookSession.GRAPH` (the Graph URL without a trailing slash):
pointed at the emulator's cluster, the paths (`/v23.0/...`) stay the SDK's.

Usage: python facebook_business_flow.py BASE_URL APP_SECRET
"""
import json
import sys
import urllib.request

from facebook_business.adobjects.whatsappbusinessaccount import WhatsAppBusinessAccount
from facebook_business.api import FacebookAdsApi, FacebookSession
from facebook_business.exceptions import FacebookRequestError

base = sys.argv[1].rstrip("/")
SECRET = sys.argv[2]
CLUSTER = "facebook-business"
TOKEN = "EAAG-facebook-business-sdk-token"


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/_emulator" + path, data=data, method=method)
    with urllib.request.urlopen(req) as res:
        return json.load(res)


control("POST", f"/clusters/{CLUSTER}/reset")
waba_id = control("GET", f"/clusters/{CLUSTER}/cloud")["waba_id"]

FacebookSession.GRAPH = f"{base}/clusters/{CLUSTER}"


def api(secret):
    return FacebookAdsApi.init(
        app_id="1234567890",
        app_secret=secret,
        access_token=TOKEN,
        api_version="v23.0",
        crash_log=False,
    )


sdk = api(SECRET)
waba = WhatsAppBusinessAccount(waba_id, api=sdk)

# 1. The account and two numbers on it (the SDK posts a form, the token and proof in the query).
account = waba.api_get(fields=["name", "currency"])
assert account["id"] == waba_id, account
first = waba.create_phone_number(
    params={"cc": "1", "phone_number": "6315550100", "verified_name": "SDK Test"}
)
second = waba.create_phone_number(
    params={"phone_number": "16315550101", "verified_name": "SDK Test", "migrate_phone_number": False}
)
phone_id = first["id"]
assert phone_id.isdigit() and second["id"].isdigit(), (first, second)

# 2. Listed one per page: the SDK's cursor follows `paging.cursors.after`, asks for `summary`.
listed = waba.get_phone_numbers(params={"limit": 1, "fields": "display_phone_number,status"})
ids = [n["id"] for n in listed]
assert ids == [phone_id, second["id"]], ids
assert listed.total() == 2, listed.summary()

# 3. A code by SMS, read from the outbox, verified; the number registered.
assert sdk.call("POST", (phone_id, "request_code"), params={"code_method": "SMS", "language": "en_US"}).json() == {"success": True}
code = control("GET", f"/clusters/{CLUSTER}/codes/latest?phone_number=6315550100")["code"]
assert sdk.call("POST", (phone_id, "verify_code"), params={"code": code}).json() == {"success": True}
registered = sdk.call(
    "POST", (phone_id, "register"), params={"messaging_product": "whatsapp", "pin": "123456", "tier": "PROD"}
)
assert registered.json() == {"success": True}, registered.json()
number = sdk.call(
    "GET", (phone_id,), params={"fields": "status,platform_type,last_onboarded_time,health_status"}
).json()
assert number["status"] == "CONNECTED" and number["platform_type"] == "CLOUD_API", number
assert number["health_status"]["can_send_message"] == "AVAILABLE", number
assert number["last_onboarded_time"].endswith("+0000"), number

# 4. A wrong secret: Graph's error for an invalid proof, as the SDK raises it.
try:
    api("not-the-secret").call("GET", (phone_id,))
    raise SystemExit("a wrong appsecret_proof was taken")
except FacebookRequestError as e:
    assert e.http_status() == 400, e
    assert e.api_error_code() == 100, e
    assert e.api_error_type() == "GraphMethodException", e
    assert e.api_error_message() == "Invalid appsecret_proof provided in the API argument", e

# 5. No secret: the SDK sends no proof, which this app requires.
try:
    api(None).call("GET", (phone_id,))
    raise SystemExit("a call without appsecret_proof was taken")
except FacebookRequestError as e:
    assert e.api_error_code() == 100, e
    assert e.api_error_message() == "API calls from the server require an appsecret_proof argument", e

print("facebook-business flow: ok")
