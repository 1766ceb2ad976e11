"""The control API's answers, as the package's helpers read them, against the JSON schemas the
emulator publishes for them in its OpenAPI document: the helpers read the shapes the document
promises."""

import urllib.parse

import pytest

from test_plugin import registered_client

jsonschema = pytest.importorskip("jsonschema")


def answer_schema(document, method, path):
    """The schema of the 2xx answer of `method path` (a path of the document), resolvable on its
    own: the document's components travel with it."""
    operation = document["paths"][path][method.lower()]
    status = next(s for s in operation["responses"] if s.startswith("2"))
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return {"components": document["components"], **schema}


def test_every_answer_the_helpers_read_is_of_its_published_schema(wa_cluster):
    registered_client(wa_cluster)
    emulator = wa_cluster.emulator
    document = emulator.control("GET", "/openapi.json")
    name = urllib.parse.quote(wa_cluster.name, safe="")
    cluster = "/_emulator/clusters/{cluster}"
    calls = [
        ("POST", "/_emulator/certs", "/certs", {"vname": "Acme"}),
        ("GET", cluster + "/codes/latest", f"/clusters/{name}/codes/latest?cc=1", None),
        ("GET", cluster + "/codes", f"/clusters/{name}/codes", None),
        ("PUT", cluster + "/policy", f"/clusters/{name}/policy", {"policy": "classic"}),
        (
            "POST",
            cluster + "/faults",
            f"/clusters/{name}/faults",
            [{"route": "/v1/account", "fault": {"type": "not_ready"}}],
        ),
        ("POST", cluster + "/clock", f"/clusters/{name}/clock", {"advance_seconds": 1}),
        ("GET", cluster + "/requests", f"/clusters/{name}/requests?method=POST", None),
        ("GET", cluster + "/requests/count", f"/clusters/{name}/requests/count", None),
        ("GET", cluster + "/requests/unmatched", f"/clusters/{name}/requests/unmatched", None),
        ("GET", cluster + "/state", f"/clusters/{name}/state", None),
        ("GET", cluster + "/topology", f"/clusters/{name}/topology", None),
        ("GET", cluster + "/cloud", f"/clusters/{name}/cloud", None),
        ("POST", cluster + "/reset", f"/clusters/{name}/reset", None),
        ("GET", "/_emulator/clusters", "/clusters", None),
        ("GET", "/_emulator/health", "/health", None),
    ]
    for method, documented, path, body in calls:
        answer = emulator.control(method, path, body)
        schema = answer_schema(document, method, documented)
        jsonschema.Draft202012Validator(schema).validate(answer)
    state = emulator.control("GET", f"/clusters/{name}/state")
    restored = wa_cluster.restore(state)
    jsonschema.Draft202012Validator(
        answer_schema(document, "PUT", cluster + "/state")
    ).validate(restored)


def test_a_schema_refuses_an_answer_of_another_shape(wa_emulator):
    document = wa_emulator.control("GET", "/openapi.json")
    schema = answer_schema(document, "GET", "/_emulator/clusters/{cluster}/codes/latest")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({"code": "123456"})
