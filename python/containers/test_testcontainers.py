"""The Testcontainers module against a real container runtime (.ci/containers.sh runs it through
podman's Docker API, with the image CI built: WA_EMU_IMAGE): a whole registration, a seeded
cluster, the control token, and the container gone after `stop()`. One container for this file."""

import json
import os

import pytest
import requests

from wa_onprem_emulator import EmulatorError
from wa_onprem_emulator.testcontainers import DEFAULT_IMAGE, EmulatorContainer

IMAGE = os.environ.get("WA_EMU_IMAGE", DEFAULT_IMAGE)


@pytest.fixture(scope="module")
def container():
    with EmulatorContainer(IMAGE).with_admin_password("Adm1n!pass").with_fixed_code("123456") as c:
        yield c


def test_a_whole_registration_in_a_cluster_of_the_container(container):
    emulator = container.emulator()
    cluster = emulator.cluster("tc-registration")
    cluster.reset()
    login = requests.post(cluster.url + "/v1/users/login", auth=("admin", "Adm1n!pass"))
    token = login.json()["users"][0]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"cc": "1", "phone_number": "6315550000", "method": "sms",
            "cert": cluster.make_cert("Container Co")}
    assert requests.post(cluster.url + "/v1/account", json=body, headers=auth).status_code == 202
    code = cluster.latest_code("1", "6315550000")
    assert code == "123456"
    verified = requests.post(cluster.url + "/v1/account/verify", json={"code": code}, headers=auth)
    assert verified.status_code == 201
    cluster.assert_requested("POST", "/v1/account/verify", times=1, status=201)
    assert container.url.startswith("http://")


def test_a_seeded_cluster_and_the_control_token(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"clusters": {"seeded": {
        "admin_password": "S33d!passw0rd", "policy": "sunset",
        "registered": {"cc": "1", "phone_number": "6315550000", "vname": "Seeded Co"}}}}))
    with (EmulatorContainer(IMAGE).with_seed(seed).with_policy("classic")
          .with_control_token("tc-token")) as c:
        emulator = c.emulator()
        policy = emulator.control("GET", "/clusters/seeded/policy")
        assert policy["policy"] == "sunset", policy
        # The seeded admin password, and the seeded number registered at once.
        login = requests.post(c.url + "/clusters/seeded/v1/users/login",
                              auth=("admin", "S33d!passw0rd"))
        assert login.status_code == 200
        # Without the token the control API refuses.
        assert requests.get(c.url + "/_emulator/clusters").status_code == 401
        container_id = c.get_wrapped_container().id
    # Stopped: the container is gone.
    with pytest.raises(Exception):
        c.get_docker_client().client.containers.get(container_id)


def test_a_container_that_cannot_start_says_why():
    bad = EmulatorContainer(IMAGE, start_timeout=3).with_policy("nonsense")
    with pytest.raises(EmulatorError, match="nonsense"):
        bad.start()
    bad.stop()
