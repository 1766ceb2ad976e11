"""A Testcontainers module: the emulator's published image as a container of a test, handing back
the package's own `Emulator` (clusters, journal, codes, every helper).

    from wa_onprem_emulator.testcontainers import EmulatorContainer

    with EmulatorContainer().with_admin_password("Adm1n!pass").with_fixed_code("123456") as c:
        cluster = c.emulator().cluster("my-test")
        # point the client under test at cluster.url

Installed with the wheel's `testcontainers` extra (`pip install 'wa-onprem-emulator[testcontainers]'`).
The image defaults to the one the release publishes, tagged with this package's version; give
another name (`EmulatorContainer("localhost/wa-onprem-emulator:dev")`) for an image of your own.
Testcontainers reaches Docker through `DOCKER_HOST` (a podman socket works: see the book's Docker
chapter).
"""

from __future__ import annotations

import os
import time
import urllib.request
from typing import Any, Optional

from testcontainers.core.container import DockerContainer

from . import Emulator, EmulatorError, __version__

#: The image the release workflow publishes, at this package's version.
DEFAULT_IMAGE = f"ghcr.io/OWNER/wa-onprem-emulator:{__version__}"
#: The port the image listens on.
PORT = 9090


class EmulatorContainer(DockerContainer):
    """The emulator in a container, waited for until its health answers (`start()`, or `with`)."""

    def __init__(self, image: str = DEFAULT_IMAGE, *, start_timeout: float = 30.0,
                 **kwargs: Any) -> None:
        super().__init__(image, **kwargs)
        self.with_exposed_ports(PORT)
        self._control_token: Optional[str] = None
        self._start_timeout = start_timeout

    def with_admin_password(self, password: str) -> "EmulatorContainer":
        """Admin's password at start (no first-login change): `WA_EMU_ADMIN_PASSWORD`."""
        return self.with_env("WA_EMU_ADMIN_PASSWORD", password)

    def with_fixed_code(self, code: str) -> "EmulatorContainer":
        """The 6-digit code sent every time: `WA_EMU_FIXED_CODE`."""
        return self.with_env("WA_EMU_FIXED_CODE", code)

    def with_policy(self, policy: str) -> "EmulatorContainer":
        """`classic`, `sunset` or `scripted`: `WA_EMU_POLICY`."""
        return self.with_env("WA_EMU_POLICY", policy)

    def with_seed(self, path: "str | os.PathLike[str]") -> "EmulatorContainer":
        """Clusters in a declared state at start (`--seed`): the file is mounted read-only."""
        host = os.path.abspath(path)
        inside = "/seed/" + os.path.basename(host)
        self.with_volume_mapping(host, inside, "ro")
        return self.with_env("WA_EMU_SEED", inside)

    def with_control_token(self, token: str) -> "EmulatorContainer":
        """The control API's Bearer token; `emulator()` sends it."""
        self._control_token = token
        return self.with_env("WA_EMU_CONTROL_TOKEN", token)

    @property
    def url(self) -> str:
        """The emulator's base URL from the host, once started."""
        return f"http://{self.get_container_host_ip()}:{self.get_exposed_port(PORT)}"

    def start(self) -> "EmulatorContainer":
        """Starts the container and waits until the emulator answers its health."""
        super().start()
        deadline = time.monotonic() + self._start_timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/_emulator/health", timeout=1) as res:
                    if res.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                logs = b"".join(part or b"" for part in self.get_logs()).decode(errors="replace")
                raise EmulatorError(
                    f"the container of {self.image} did not answer within "
                    f"{self._start_timeout} s; its log:\n{logs}")
            time.sleep(0.05)

    def emulator(self) -> Emulator:
        """The package's `Emulator`, connected to this container (stopping it is the
        container's job)."""
        return Emulator(self.url, control_token=self._control_token)
