"""A registration, shards and backup driven by the unmodified `whatsappez` package (a published
client of the real On-Premises API, PyPI 0.0.1) against a running emulator.

Usage: python whatsappez_flow.py BASE_URL BINARY

Quirks of the client, each met by the emulator as the real API would meet it:
- its Registration class hard-codes one deployment's address as `base_url`; the only change is
  pointing that attribute at the emulator (configuration, not a patch of the package), and it
  posts the code request to `/v1/account/` with a trailing slash;
- its setShards sends no `cert`, which the API requires from v2.45 on: at the default
  `--api-version v2.45.1` that is 400 / 1008 naming `cert`, as on the real API;
- it calls `/v1/settings/application`, which the emulator does not emulate: a 404 / 1006 that
  says so.
"""
import base64
import json
import subprocess
import sys
import urllib.request

import whatsappez

base = sys.argv[1].rstrip("/")
binary = sys.argv[2]


def control(path):
    with urllib.request.urlopen(base + "/_emulator" + path) as res:
        return json.load(res)


# 1. The client logs in as admin and changes the default password in the same call.
auth = base64.b64encode(b"admin:secret").decode()
wa = whatsappez.WhatsApp(base, auth, "N3w!passw0rd")
token = wa.jwt_token
assert token and not token.startswith("Error"), token

# 2. Registration: code request (to /v1/account/) and verify.
registration = whatsappez.WhatsApp.Registration(token)
registration.base_url = base + "/v1/account"
cert = subprocess.check_output([binary, "cert", "--vname", "Acme"]).decode().strip()
sent = registration.request_code("1", "6315550000", "sms", cert)
assert sent["account"][0]["vname"] == "Acme", sent
code = control("/clusters/default/codes/latest?cc=1&phone_number=6315550000")["code"]
verified = registration.verify_registration(code)
assert "errors" not in verified and verified["meta"]["api_status"] == "stable", verified

# 3. Shards: read, and set without a certificate (refused from v2.45 on, naming the field).
settings = whatsappez.WhatsApp.Settings(base, token)
shards = settings.getShards()
assert shards["account"] == {"shards": 1}, shards
refused = settings.setShards("1", "6315550000", 1, None)
assert refused["errors"][0]["code"] == 1008 and "cert" in refused["errors"][0]["details"], refused

# 4. Backup and restore onto the same, running, deployment: accepted, and the application stops
#    until it is started again (Meta: "the application stops and must be restarted").
backup = settings.backupSettings("B4ckup!pass")
data = backup["settings"]["data"]
wrong = settings.restoreSettings("not-the-pass", data)
assert wrong["errors"][0]["code"] == 1009, wrong
restored = settings.restoreSettings("B4ckup!pass", data)
assert "errors" not in restored and restored["meta"]["api_status"] == "stable", restored
stopped = settings.getShards()
assert stopped["errors"][0]["code"] == 1011, stopped
urllib.request.urlopen(urllib.request.Request(
    base + "/_emulator/clusters/default/nodes/coreapp1/start", method="POST"))
assert settings.getShards()["account"] == {"shards": 1}

# 5. Application settings are not emulated, and say so.
app_settings = settings.getSettings()
assert app_settings["errors"][0]["code"] == 1006, app_settings
assert "not emulated" in app_settings["errors"][0]["details"], app_settings

# 6. Users.
created = wa.user.createUser("operator", "0perator!Pass")
assert created["users"][0]["username"] == "operator", created
read = wa.user.getUser("operator")
assert read["users"][0]["ROLES"] == "ROLE_USER", read

print("whatsappez flow: registered +1 6315550000, read shards, backed up, met the quirks")
