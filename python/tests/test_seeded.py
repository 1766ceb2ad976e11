"""The book's whole pytest example (docs/src/verifying.md includes this file): an emulator
seeded with a registered number, a client call, and assertions on the journal."""

import json

import requests

from wa_onprem_emulator import Emulator


def test_a_seeded_number_answers_201_at_once_and_the_journal_says_so(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"clusters": {"default": {
        "admin_password": "Adm1n!pass",
        "registered": {"cc": "1", "phone_number": "6315550000", "vname": "Acme", "pin": "123456"},
    }}}))
    with Emulator(seed=str(seed)) as emulator:
        cluster = emulator.cluster("default")
        login = requests.post(emulator.url + "/v1/users/login", auth=("admin", "Adm1n!pass"))
        token = login.json()["users"][0]["token"]
        body = {"cc": "1", "phone_number": "6315550000", "method": "sms",
                "cert": emulator.make_cert("Acme"), "pin": "123456"}
        answer = requests.post(emulator.url + "/v1/account", json=body,
                               headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, "registered already: no code, no verify"

        [sent] = cluster.assert_requested("POST", "/v1/account", times=1,
                                          body={"phone_number": "6315550000"})
        assert sent["status"] == 201 and sent["body"]["cert"] == "[redacted]"
        assert cluster.count(path="/v1/account/verify") == 0
        assert cluster.unmatched() == []
