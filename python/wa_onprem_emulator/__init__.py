"""Start the wa-onprem-emulator binary from Python, and steer it through its control API.

    from wa_onprem_emulator import Emulator

    with Emulator(admin_password="Adm1n!pass", fixed_code="123456") as emulator:
        cluster = emulator.cluster("my-test")
        # point the client under test at cluster.url, then:
        code = cluster.latest_code("1", "6315550000", wait=5)

Keyword arguments of `Emulator` are the binary's flags (`code_ttl="2m"` is `--code-ttl 2m`,
`seed="seed.toml"` is `--seed seed.toml`; `True` is a switch alone; `None` and `False` leave the
flag out); `args=[...]` adds flags as the command line takes them.

The emulator's log (its stderr) is read all the time by a thread, so that it never waits for a
reader: the last lines are kept for error messages (`Emulator.log_tail()`), and
`Emulator(log_file="emulator.log")` keeps the whole log in a file.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sysconfig
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from typing import IO, Any, Deque, Dict, List, Optional, Sequence, Union

__all__ = ["Cluster", "Emulator", "EmulatorError", "binary"]

_NAME = "wa-onprem-emulator"

#: How many of the emulator's last log lines are kept for error messages.
LOG_TAIL_LINES = 300


class EmulatorError(RuntimeError):
    """The emulator could not be started, or its control API refused a call (then `status` is
    the HTTP status of the refusal)."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


def binary() -> str:
    """The path of the emulator's binary: `WA_EMU_BINARY`, the one this package installed, or
    the one on `PATH`."""
    given = os.environ.get("WA_EMU_BINARY")
    if given:
        return given
    exe = _NAME + (".exe" if os.name == "nt" else "")
    installed = os.path.join(sysconfig.get_path("scripts"), exe)
    if os.path.exists(installed):
        return installed
    found = shutil.which(_NAME)
    if found:
        return found
    raise EmulatorError(f"{_NAME} not found: install the wheel, or set WA_EMU_BINARY")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flags(settings: Dict[str, Any]) -> List[str]:
    args: List[str] = []
    for key, value in settings.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        else:
            args.extend([flag, str(value)])
    return args


class Emulator:
    """An emulator: started from the binary on a free port (and stopped at the end of a `with`
    block or by `stop()`), or, with `url=`, one already running."""

    def __init__(self, url: Optional[str] = None, *, control_token: Optional[str] = None,
                 start_timeout: float = 10.0,
                 log_file: Optional[Union[str, "os.PathLike[str]"]] = None,
                 args: Sequence[str] = (),
                 **settings: Any) -> None:
        self._given_url = url.rstrip("/") if url else None
        self._args = list(args)
        self._control_token = control_token
        self._settings = settings
        if control_token is not None:
            self._settings["control_token"] = control_token
        self._start_timeout = start_timeout
        self._log_file = log_file
        self._process: Optional[subprocess.Popen] = None
        self._url: Optional[str] = self._given_url
        self._tail: Deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self._reader: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        """The emulator's base URL (`http://127.0.0.1:PORT`)."""
        if self._url is None:
            raise EmulatorError("the emulator is not started")
        return self._url

    @property
    def pid(self) -> Optional[int]:
        """The process id of the binary this object started (`None` for one given by URL)."""
        return self._process.pid if self._process is not None else None

    def start(self) -> "Emulator":
        """Starts the binary (unless a URL was given) and waits until it answers its health."""
        if self._given_url is None and self._process is None:
            port = _free_port()
            command = [binary(), "--listen", f"127.0.0.1:{port}", *_flags(self._settings),
                       *self._args]
            # Opened before the emulator starts: a log file that cannot be written is said at
            # once, rather than ending the reading thread and leaving the pipe to fill.
            sink = open(self._log_file, "ab") if self._log_file is not None else None
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            # Read from the first line on: a pipe nobody reads fills up (64 KiB), and a program
            # that waits for its reader stops answering.
            self._tail.clear()
            self._reader = threading.Thread(
                target=_drain, args=(self._process.stderr, self._tail, sink),
                name=f"{_NAME}-log", daemon=True)
            self._reader.start()
            self._url = f"http://127.0.0.1:{port}"
        self._wait_healthy()
        return self

    def log_tail(self) -> str:
        """The emulator's last log lines (up to `LOG_TAIL_LINES`), for a report."""
        return "".join(self._tail)

    def _finish_reading(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self._start_timeout
        while True:
            if self._process is not None and self._process.poll() is not None:
                self._finish_reading()
                self._process = None
                raise EmulatorError(f"the emulator exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/_emulator/health", timeout=1) as res:
                    if res.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                said = self.log_tail()
                self.stop()
                raise EmulatorError(
                    f"no answer from {self.url} within {self._start_timeout} s"
                    + (f"; the emulator said:\n{said}" if said else ""))
            time.sleep(0.02)

    def stop(self) -> None:
        """Stops the binary this object started (an emulator given by URL is left running)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._finish_reading()
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def cluster(self, name: str) -> "Cluster":
        """The isolated test world `name` (1-64 of A-Z, a-z, 0-9, '.', '_', '-')."""
        return Cluster(self, name)

    def make_cert(self, vname: str) -> str:
        """A base64 verified-name certificate for `vname`, for `POST /v1/account`."""
        return self.control("POST", "/certs", {"vname": vname})["cert"]

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """A call of the control API (`/_emulator` + `path`); its JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/_emulator" + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self._control_token:
            request.add_header("Authorization", f"Bearer {self._control_token}")
        try:
            with urllib.request.urlopen(request, timeout=330) as res:
                text = res.read()
        except urllib.error.HTTPError as e:
            said = e.read().decode(errors="replace")
            raise EmulatorError(f"{method} /_emulator{path}: {e.code} {said}", e.code) from None
        return json.loads(text) if text else None


def _drain(stream: Optional[IO[bytes]], tail: Deque[str], sink: Optional[IO[bytes]]) -> None:
    """Reads the emulator's stderr until it closes: each line into `tail`, and into `sink` (the
    log file) when there is one, which it closes at the end."""
    if stream is None:
        return
    try:
        for line in iter(stream.readline, b""):
            tail.append(line.decode(errors="replace"))
            if sink is not None:
                sink.write(line)
                sink.flush()
    except (OSError, ValueError):
        pass  # the pipe was closed under us: the emulator is being stopped
    finally:
        if sink is not None:
            sink.close()


class Cluster:
    """One cluster of an emulator: a test world of its own (users, tokens, number, codes,
    policy, faults, clock, journal)."""

    def __init__(self, emulator: Emulator, name: str) -> None:
        self.emulator = emulator
        self.name = name

    @property
    def url(self) -> str:
        """The base URL to give a client under test: its `/v1/...` calls reach this cluster."""
        return f"{self.emulator.url}/clusters/{self.name}"

    @property
    def headers(self) -> Dict[str, str]:
        """Headers that address this cluster from the emulator's root URL, for clients that
        keep only the host of their base URL (wabclient does): `X-Emulator-Cluster: name`."""
        return {"X-Emulator-Cluster": self.name}

    def _path(self, rest: str) -> str:
        return f"/clusters/{urllib.parse.quote(self.name, safe='')}{rest}"

    def latest_code(self, cc: str, phone_number: str, wait: float = 5.0) -> str:
        """The 6-digit code last sent to +`cc` `phone_number`, waiting up to `wait` seconds for
        one to arrive."""
        query = urllib.parse.urlencode({"cc": cc, "phone_number": phone_number, "wait": wait})
        return self.emulator.control("GET", self._path(f"/codes/latest?{query}"))["code"]

    def make_cert(self, vname: str) -> str:
        """A base64 verified-name certificate for `vname`."""
        return self.emulator.make_cert(vname)

    def reset(self) -> None:
        """The cluster as new: users, tokens, number, pins, codes, policy, faults, clock."""
        self.emulator.control("POST", self._path("/reset"))

    def delete(self) -> bool:
        """Removes the cluster and all it holds (the next request naming it starts it fresh);
        `False` if it did not exist. A test done with its cluster deletes it, so that an
        emulator shared by many runs does not fill up."""
        try:
            self.emulator.control("DELETE", f"/clusters/{urllib.parse.quote(self.name, safe='')}")
        except EmulatorError as e:
            if e.status == 404:
                return False
            raise
        return True

    def set_policy(self, policy: str, rules: Any = None) -> Any:
        """Switches the registration policy: `classic`, `sunset` or `scripted` (with `rules`, a
        list of rule objects or the text of a rules file)."""
        body: Dict[str, Any] = {"policy": policy}
        if rules is not None:
            body["rules"] = rules
        return self.emulator.control("PUT", self._path("/policy"), body)

    def arm_fault(self, route: str, fault: Dict[str, Any], times: int = 1, **filters: Any) -> Any:
        """Arms a one-shot fault on vendor `route` (`/v1/account`, or `*`), such as
        `{"type": "not_ready"}`; `filters` narrow it (`method`, `cc`, `phone_number`)."""
        spec = {"route": route, "fault": fault, "times": times, **filters}
        return self.emulator.control("POST", self._path("/faults"), [spec])["faults"]

    def advance_clock(self, seconds: float) -> Any:
        """Moves the cluster's virtual clock forward."""
        return self.emulator.control("POST", self._path("/clock"), {"advance_seconds": seconds})

    def journal(self) -> List[Dict[str, Any]]:
        """The vendor requests the cluster received, oldest first (bodies redacted)."""
        return self.emulator.control("GET", self._path("/requests"))["requests"]

    @staticmethod
    def _query(filters: Dict[str, Any], **more: Any) -> str:
        """The journal's filters as a query string: `method`, `path` (`*` for one segment),
        `status`, `reason`, `surface` (`on_premises`, `cloud`), `since` (RFC 3339), and
        `body={"cc": "1"}` for `body.cc=1`."""
        pairs = []
        for key, value in {**filters, **more}.items():
            if value is None:
                continue
            if key == "body":
                pairs += [(f"body.{field}", str(v)) for field, v in value.items()]
            else:
                pairs.append((key, str(value)))
        return "?" + urllib.parse.urlencode(pairs) if pairs else ""

    def requests(self, **filters: Any) -> List[Dict[str, Any]]:
        """The journal's requests matching `filters` (see `_query`), oldest first."""
        return self.emulator.control("GET", self._path("/requests" + self._query(filters)))[
            "requests"
        ]

    def count(self, **filters: Any) -> int:
        """How many journaled requests match `filters`."""
        return self.emulator.control(
            "GET", self._path("/requests/count" + self._query(filters))
        )["count"]

    def wait_for_requests(self, at_least: int, timeout: float = 5.0, **filters: Any) -> int:
        """Waits (woken by each request, no polling) until `at_least` requests match `filters`,
        or `timeout` seconds pass; how many match. Raises `AssertionError` when too few came."""
        answer = self.emulator.control(
            "GET",
            self._path(
                "/requests/count" + self._query(filters, at_least=at_least, wait=timeout)
            ),
        )
        if not answer["reached"]:
            raise AssertionError(
                f"{answer['count']} request(s) matching {filters} within {timeout} s, "
                f"expected at least {at_least}; the cluster received: {self._described()}"
            )
        return answer["count"]

    def assert_requested(
        self, method: str, path: str, times: Optional[int] = None, **filters: Any
    ) -> List[Dict[str, Any]]:
        """Asserts that `method path` was requested (exactly `times` times when given), with
        `filters`; the matching requests. The failure lists what was requested instead."""
        found = self.requests(method=method, path=path, **filters)
        if (times is None and not found) or (times is not None and len(found) != times):
            expected = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(
                f"{method} {path} {filters or ''} was requested {len(found)} time(s), "
                f"expected {expected}; the cluster received: {self._described()}"
            )
        return found

    def unmatched(self, **filters: Any) -> List[Dict[str, Any]]:
        """The requests no route took or that were refused as unreadable, each with the route
        it most likely meant (`near_miss`)."""
        return self.emulator.control(
            "GET", self._path("/requests/unmatched" + self._query(filters))
        )["requests"]

    def snapshot(self) -> Dict[str, Any]:
        """Everything the cluster holds, as one document (`GET …/state`)."""
        return self.emulator.control("GET", self._path("/state"))

    def restore(self, state: Dict[str, Any]) -> Dict[str, Any]:
        """Makes the cluster exactly `state` (a `snapshot()` of this cluster or another)."""
        return self.emulator.control("PUT", self._path("/state"), state)

    def _described(self) -> str:
        seen = [
            f"{r['method']} {r['path']} -> {r['status']}"
            + (f" ({r['reason']})" if r.get("reason") else "")
            for r in self.journal()
        ]
        return "; ".join(seen) if seen else "nothing"
