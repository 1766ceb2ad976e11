"""The pytest plugin (registered through the `pytest11` entry point): `wa_emulator`, one
emulator for the test session, and `wa_cluster`, a fresh isolated cluster for each test.

    pytest                                              # starts the packaged binary
    pytest --wa-emulator-url http://127.0.0.1:9090      # uses one already running (or
                                                        # WA_EMU_URL, as the GitHub Action sets)
    pytest --wa-emulator-arg=--fixed-code=123456        # a flag of the emulator started
    pytest --wa-emulator-strict                         # a test whose cluster saw a request
                                                        # no route took fails, naming it

In `pytest.ini` (or `[tool.pytest.ini_options]`): `wa_emulator_args = --admin-password
Adm1n!pass --fixed-code 123456` and `wa_emulator_strict = true`.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Iterator

import pytest

from . import Cluster, Emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wa-onprem-emulator")
    group.addoption("--wa-emulator-url", default=None,
                    help="use the emulator already running at this URL instead of starting one "
                         "(default: WA_EMU_URL, which the GitHub Action sets)")
    group.addoption("--wa-emulator-control-token", default=None,
                    help="the --control-token of that emulator, if it has one (default: "
                         "WA_EMU_CONTROL_TOKEN)")
    group.addoption("--wa-emulator-arg", action="append", default=[],
                    help="a flag of the emulator the session starts (repeatable), such as "
                         "--wa-emulator-arg=--fixed-code=123456")
    group.addoption("--wa-emulator-strict", action="store_true", default=None,
                    help="fail a test whose cluster saw requests no route took or that were "
                         "refused as unreadable, naming them and their near misses")
    parser.addini("wa_emulator_args", type="args", default=[],
                  help="flags of the emulator the session starts")
    parser.addini("wa_emulator_strict", type="bool", default=False,
                  help="as --wa-emulator-strict")


@pytest.fixture(scope="session")
def wa_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """One emulator for the test session: started from the packaged binary on a free port (or
    the one `--wa-emulator-url` or else `WA_EMU_URL` names), stopped at the end."""
    url = request.config.getoption("--wa-emulator-url") or os.environ.get("WA_EMU_URL") or None
    token = (request.config.getoption("--wa-emulator-control-token")
             or os.environ.get("WA_EMU_CONTROL_TOKEN") or None)
    args = [*request.config.getini("wa_emulator_args"),
            *request.config.getoption("--wa-emulator-arg")]
    emulator = Emulator(url, control_token=token, args=args)
    with emulator:
        yield emulator


@pytest.fixture
def wa_cluster(wa_emulator: Emulator, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """A cluster of its own for this test, named after it, deleted when it ends (so that an
    emulator shared by many runs, `--wa-emulator-url`, never fills up)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name)[:48].strip("-.") or "test"
    cluster = wa_emulator.cluster(f"{stem}-{uuid.uuid4().hex[:8]}")
    # Made now (a control write), so that the test can read it before it sends anything: a read
    # of a cluster that does not exist is 404.
    cluster.reset()
    yield cluster
    strict = request.config.getoption("--wa-emulator-strict")
    if strict is None:
        strict = request.config.getini("wa_emulator_strict")
    if strict:
        unmatched = cluster.unmatched()
        if unmatched:
            cluster.delete()
            lines = [f"  {r['method']} {r['path']} -> {r['status']} ({r.get('reason', '')}); "
                     f"closest route: {r['near_miss']}" for r in unmatched]
            pytest.fail(f"cluster {cluster.name} saw {len(unmatched)} request(s) that matched "
                        "nothing (--wa-emulator-strict):\n" + "\n".join(lines), pytrace=False)
    cluster.delete()
