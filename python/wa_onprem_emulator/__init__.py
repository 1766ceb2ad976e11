"""Start the wa-onprem-emulator binary from Python, and steer it through its control API.

    from wa_onprem_emulator import Emulator

    with Emulator(admin_password="Adm1n!pass", fixed_code="123456") as emulator:
        cluster = emulator.cluster("my-test")
        # point the client under test at cluster.url, then:
        code = cluster.latest_code("1", "6315550000", wait=5)

Keyword arguments of `Emulator` are the binary's flags (`code_ttl="2m"` is `--code-ttl 2m`,
`seed="seed.toml"` is `--seed seed.toml`; `True` is a switch alone; `None` and `False` leave the
flag out); `args=[...]` adds flags as the command line takes them.

`Emulator(...)` only describes the emulator: it starts in a `with` block or at `start()`, and
stops at the block's end or at `stop()`.

The emulator is started with `--listen 127.0.0.1:0 --ready-file FILE --exit-on-stdin-close`: it
picks its own free port and says where it listens in the ready file (no port race, no log line
read), and it ends with this process however this process ends (SIGKILL included), since it
stops when the pipe to its standard input closes.

The emulator's log (its stderr) is read all the time by a thread, so that it never waits for a
reader: the last lines are kept for error messages (`Emulator.log_tail()`), and
`Emulator(log_file="emulator.log")` keeps the whole log in a file.

Control calls keep their connection open (one per thread), so a test's own setup (a cluster
made, then deleted) costs a fraction of a millisecond.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import subprocess
import sysconfig
import tempfile
import threading
import time
import urllib.parse
from collections import deque
from typing import IO, Any, Deque, Dict, List, Optional, Sequence, Union

__all__ = ["Cluster", "Emulator", "EmulatorError", "binary", "__version__"]

_NAME = "wa-onprem-emulator"

try:
    from importlib.metadata import PackageNotFoundError, version as _version

    #: The package's version (the crate's; `0.0.0` for a source tree not installed).
    __version__ = _version(_NAME)
except PackageNotFoundError:  # a source tree on sys.path
    __version__ = "0.0.0"

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
        self._local = threading.local()
        self._ready_dir: Optional[tempfile.TemporaryDirectory] = None

    def __repr__(self) -> str:
        where = self._url or "not started"
        return f"<Emulator {where}" + (f" pid={self.pid}>" if self.pid else ">")

    @property
    def url(self) -> str:
        """The emulator's base URL (`http://127.0.0.1:PORT`)."""
        if self._url is None:
            raise EmulatorError(
                "the emulator is not started: `Emulator(...)` only describes it; start it with "
                "`with Emulator(...) as emulator:` or `emulator.start()`")
        return self._url

    @property
    def pid(self) -> Optional[int]:
        """The process id of the binary this object started (`None` for one given by URL)."""
        return self._process.pid if self._process is not None else None

    def start(self) -> "Emulator":
        """Starts the binary (unless a URL was given) and waits until it is ready."""
        if self._given_url is None and self._process is None:
            self._ready_dir = tempfile.TemporaryDirectory(prefix="wa-emu-")
            ready = os.path.join(self._ready_dir.name, "ready.json")
            command = [binary(), "--listen", "127.0.0.1:0", *_flags(self._settings),
                       *self._args, "--ready-file", ready, "--exit-on-stdin-close"]
            # Opened before the emulator starts: a log file that cannot be written is said at
            # once, rather than ending the reading thread and leaving the pipe to fill.
            sink = open(self._log_file, "ab") if self._log_file is not None else None
            # Its stdin is a pipe only this process holds: when this process ends, however it
            # ends, the pipe closes and the emulator stops (--exit-on-stdin-close).
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            # Read from the first line on: a pipe nobody reads fills up (64 KiB), and a program
            # that waits for its reader stops answering.
            self._tail.clear()
            self._reader = threading.Thread(
                target=_drain, args=(self._process.stderr, self._tail, sink),
                name=f"{_NAME}-log", daemon=True)
            self._reader.start()
            self._url = self._wait_ready(ready)["url"]
        elif self._given_url is not None:
            self._wait_healthy()
        return self

    def log_tail(self) -> str:
        """The emulator's last log lines (up to `LOG_TAIL_LINES`), for a report."""
        return "".join(self._tail)

    def _finish_reading(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None

    def _wait_ready(self, path: str) -> Dict[str, Any]:
        """The ready file's content, once the emulator wrote it (it answers from then on)."""
        deadline = time.monotonic() + self._start_timeout
        while True:
            if self._process is not None and self._process.poll() is not None:
                self._finish_reading()
                code = self._process.returncode
                self._close_process()
                raise EmulatorError(f"the emulator exited at start (code {code}):\n"
                                    f"{self.log_tail()}")
            try:
                with open(path, encoding="utf-8") as f:
                    return json.load(f)
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                said = self.log_tail()
                self.stop()
                raise EmulatorError(
                    f"the emulator was not ready within {self._start_timeout} s"
                    + (f"; it said:\n{said}" if said else ""))
            time.sleep(0.005)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self._start_timeout
        while True:
            try:
                self._request("GET", "/_emulator/health", None, timeout=1)
                return
            except (EmulatorError, OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise EmulatorError(f"no answer from {self.url} within {self._start_timeout} s")
            time.sleep(0.02)

    def _close_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            for stream in (process.stdin, process.stderr):
                if stream:
                    try:
                        stream.close()
                    except OSError:
                        pass
        if self._ready_dir is not None:
            self._ready_dir.cleanup()
            self._ready_dir = None

    def stop(self) -> None:
        """Stops the binary this object started (an emulator given by URL is left running)."""
        self._drop_connections()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._finish_reading()
            self._close_process()

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
        status, text = self._request(method, "/_emulator" + path, body)
        if status >= 400:
            said = text.decode(errors="replace")
            raise EmulatorError(f"{method} /_emulator{path}: {status} {said}", status)
        return json.loads(text) if text else None

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        """This thread's connection to the emulator, kept open between calls."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            parts = urllib.parse.urlsplit(self.url)
            if parts.scheme == "https":
                connection = http.client.HTTPSConnection(
                    parts.hostname, parts.port, timeout=timeout,
                    context=ssl._create_unverified_context())
            else:
                connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                        timeout=timeout)
            self._local.connection = connection
            connections = getattr(self, "_connections", None)
            if connections is None:
                connections = self._connections = []
            connections.append(connection)
        connection.timeout = timeout
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        return connection

    def _drop_connections(self) -> None:
        for connection in getattr(self, "_connections", []):
            connection.close()
        self._connections = []
        self._local = threading.local()

    def _request(self, method: str, path: str, body: Any,
                 timeout: float = 330) -> "tuple[int, bytes]":
        """One request on this thread's kept-open connection (opened again once if the
        emulator closed it meanwhile); its status and body. Sending again is safe for a POST
        too: the emulator closes only an idle connection (`--idle-timeout`), so a request that
        found it closed was never read."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if self._control_token:
            headers["Authorization"] = f"Bearer {self._control_token}"
        prefix = urllib.parse.urlsplit(self.url).path.rstrip("/")
        for attempt in (1, 2):
            connection = self._connection(timeout)
            try:
                connection.request(method, prefix + path, body=data, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


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

    def __repr__(self) -> str:
        try:
            return f"<Cluster {self.name!r} at {self.url}>"
        except EmulatorError:
            return f"<Cluster {self.name!r} of an emulator not started>"

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
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        answer = self.emulator.control(
            "GET",
            self._path(
                "/requests/count" + self._query(filters, at_least=at_least, wait=timeout)
            ),
        )
        if not answer["reached"]:
            matching = f" matching {filters}" if filters else ""
            raise AssertionError(
                f"{answer['count']} request(s){matching} within {timeout} s, "
                f"expected at least {at_least}; the cluster received: {self._described()}"
            )
        return answer["count"]

    def assert_requested(
        self, method: str, path: str, times: Optional[int] = None, **filters: Any
    ) -> List[Dict[str, Any]]:
        """Asserts that `method path` was requested (exactly `times` times when given), with
        `filters`; the matching requests. The failure lists what was requested instead."""
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        found = self.requests(method=method, path=path, **filters)
        if (times is None and not found) or (times is not None and len(found) != times):
            expected = "at least once" if times is None else f"{times} time(s)"
            asked = " ".join([method, path] + ([str(filters)] if filters else []))
            raise AssertionError(
                f"{asked} was requested {len(found)} time(s), "
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

    def set_webhooks(self, callback_url: str, verify_token: str, app_secret: str,
                     fields: Optional[List[str]] = None,
                     signature: Optional[str] = None) -> Dict[str, Any]:
        """Sets the app's webhook: the emulator first sends Meta's verification request
        (`GET callback_url?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`) and keeps the
        webhook only if it is answered 200 with the challenge. `signature`: `valid` (default),
        `missing`, `wrong_secret` or `tampered`, to prove the app refuses bad deliveries."""
        body: Dict[str, Any] = {
            "callback_url": callback_url,
            "verify_token": verify_token,
            "app_secret": app_secret,
        }
        if fields is not None:
            body["fields"] = fields
        if signature is not None:
            body["signature"] = signature
        return self.emulator.control("PUT", self._path("/webhooks"), body)

    def webhooks(self) -> Dict[str, Any]:
        """The app's webhook (its secret redacted)."""
        return self.emulator.control("GET", self._path("/webhooks"))

    def delete_webhooks(self) -> bool:
        """Removes the app's webhook; whether there was one."""
        return self.emulator.control("DELETE", self._path("/webhooks"))["deleted"]

    def deliveries(self, field: Optional[str] = None,
                   status: Optional[str] = None) -> List[Dict[str, Any]]:
        """The webhook deliveries, oldest first: each with `body` (the exact text sent),
        `signature`, `status` and its `attempts`."""
        query = self._query({"field": field, "status": status})
        return self.emulator.control("GET", self._path("/webhooks/deliveries" + query))[
            "deliveries"
        ]

    def wait_for_delivery(self, field: Optional[str] = None, status: str = "delivered",
                          at_least: int = 1, timeout: float = 5.0) -> Dict[str, Any]:
        """Waits (woken by each delivery, no polling) until `at_least` deliveries of `field`
        reach `status`; the newest of them. Raises `AssertionError` naming what was delivered
        instead."""
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        query = self._query(
            {"field": field, "status": status}, at_least=at_least, wait=timeout
        )
        answer = self.emulator.control("GET", self._path("/webhooks/deliveries" + query))
        if not answer.get("reached"):
            seen = [
                f"{d['field']} {d['status']}" + (f" ({d['reason']})" if d.get("reason") else "")
                for d in self.deliveries()
            ]
            wanted = f"{field or 'any field'} {status}"
            raise AssertionError(
                f"{len(answer['deliveries'])} delivery(ies) of {wanted} within {timeout} s, "
                f"expected at least {at_least}; the cluster has: {'; '.join(seen) or 'nothing'}"
            )
        return answer["deliveries"][-1]

    def redeliver(self, delivery_id: int) -> Dict[str, Any]:
        """Sends delivery `delivery_id` again now, the same bytes."""
        return self.emulator.control(
            "POST", self._path(f"/webhooks/deliveries/{delivery_id}/redeliver")
        )

    def send_event(self, field: str, value: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """Sends a documented change (`account_update`, `security`, …) as if it happened, its
        value checked against the field's documented shape; the delivery made (None without
        webhooks)."""
        return self.emulator.control(
            "POST", self._path("/webhooks/events"), {"field": field, "value": value}
        )["delivery"]

    def decide_name(self, number_id: str, decision: str,
                    rejection_reason: Optional[str] = None) -> Dict[str, Any]:
        """Decides the review of phone number `number_id`'s display name (`APPROVED`,
        `REJECTED`, `DEFERRED`, `PENDING`), which sends `phone_number_name_update`."""
        body: Dict[str, Any] = {"decision": decision}
        if rejection_reason is not None:
            body["rejection_reason"] = rejection_reason
        return self.emulator.control(
            "POST", self._path(f"/cloud/numbers/{number_id}/name-review"), body
        )

    def _described(self) -> str:
        seen = [
            f"{r['method']} {r['path']} -> {r['status']}"
            + (f" ({r['reason']})" if r.get("reason") else "")
            for r in self.journal()
        ]
        return "; ".join(seen) if seen else "nothing"
