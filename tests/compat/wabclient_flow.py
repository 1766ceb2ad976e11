"""A whole registration driven by the unmodified `wabclient` package (a published client of the
real On-Premises API) against a running emulator.

Usage: python wabclient_flow.py BASE_URL
"""
import json
import subprocess
import sys
import urllib.request

import requests
from wabclient.client import Client

base = sys.argv[1].rstrip("/")
binary = sys.argv[2] if len(sys.argv) > 2 else None


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/_emulator" + path, data=data, method=method)
    with urllib.request.urlopen(req) as res:
        return json.load(res)


# 1. The first login changes the default password, the way wabclient does it: its
#    InitialPasswordCommand posted with Basic credentials on the session.
first = requests.Session()
first.auth = ("admin", "secret")
setup = Client(base, session=first)
answer = setup.config.set_initial_password("N3w!passw0rd")
assert answer["users"][0]["token"], answer

# 2. Log in with the new password; wabclient parses expires_after with iso8601. The token is
#    set on the shared session, which is how wabclient's managers share it.
client = Client(base, session=requests.Session())
token, expires_at = client.config.login("admin", "N3w!passw0rd")
assert token and expires_at.tzinfo is not None, (token, expires_at)

# 3. Request a code with a certificate the emulator makes.
if binary:
    cert = subprocess.check_output([binary, "cert", "--vname", "Caffè Sport"], text=True).strip()
else:
    cert = control("POST", "/certs", {"vname": "Caffè Sport"})["cert"]
account = client.config.request_code("+16315550000", cert)
assert account == {"vname": "Caffè Sport"}, account

# 4. Read the code from the outbox and register with it.
code = control("GET", "/clusters/default/codes/latest?cc=1&phone_number=6315550000")["code"]
client.config.register(code)

# 5. Health says connected.
health = client.healthcheck()
assert health["health"]["gateway_status"] == "connected", health

# 6. Requesting a code for the registered number answers 201 with only meta; wabclient's
#    request_code expects 'account' in every success, so read it through the raw connection.
again = client.connection.post(
    "/v1/account",
    json={"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": cert},
)
assert again.status_code == 201, again.text
print("wabclient flow: login, password change, request_code, register, healthcheck: ok")
