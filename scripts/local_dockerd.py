"""A Docker engine of its own for the tests: Debian's dockerd on a private socket, in a scratch folder.

No bridge and no iptables (nothing on this machine's network changes), vfs storage (works on any
filesystem), data and state under `work`, removed on stop. Containers on user-defined networks still
reach each other, and ports are published on 127.0.0.1.
"""

import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import time
from pathlib import Path


class Dockerd:
    def __init__(self, work: Path) -> None:
        binary = shutil.which("dockerd")
        if binary is None:
            raise SystemExit("dockerd is not installed: apt-get install docker.io (make e2e-deps)")
        self.work = work
        self.host = f"unix://{work / 'docker.sock'}"
        self.env = {**os.environ, "DOCKER_HOST": self.host}  # what the docker CLI needs to reach this engine
        self.log = work / "dockerd.log"
        self._command = [
            binary,
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--storage-driver=vfs",
            f"--data-root={work / 'data'}",
            f"--exec-root={work / 'exec'}",
            f"--pidfile={work / 'dockerd.pid'}",
            f"--host={self.host}",
        ]
        self._start()

    def _start(self) -> None:
        self._log_file = self.log.open("a")
        self.process = subprocess.Popen(
            self._command,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its containerd goes with it when the session is ended
        )
        deadline = time.monotonic() + 60
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dockerd did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.5)

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
        )

    def file_info(self, container: str, path: str) -> tarfile.TarInfo:
        """A file's mode and owner in a container, running or not, as `docker cp` archives it."""
        archive = subprocess.run(
            ["docker", "cp", f"{container}:{path}", "-"],
            env=self.env,
            capture_output=True,
            check=True,
        ).stdout
        return tarfile.open(fileobj=io.BytesIO(archive)).getmembers()[0]

    def ready(self) -> bool:
        return self.docker("version", "--format", "{{.Server.Version}}", check=False).returncode == 0

    def record_digests(self, refs: list[str]) -> None:
        """Makes `name:tag@sha256:…` references find the local image `name:tag`, as a pull records them:
        written into the engine's reference store while it is stopped (`docker tag` refuses digests)."""
        if not refs:
            return
        self._halt()
        store = self.work / "data" / "image" / "vfs" / "repositories.json"
        known = json.loads(store.read_text())
        for ref in refs:
            tagged, digest = ref.split("@")
            repository = known["Repositories"][tagged.rsplit(":", 1)[0]]
            repository[f"{tagged.rsplit(':', 1)[0]}@{digest}"] = repository[tagged]
        store.write_text(json.dumps(known))
        self._start()

    def _halt(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log_file.close()

    def stop(self) -> None:
        self._halt()
        # vfs layers and the exec root hold mounts and root-owned files: remove what can be removed
        shutil.rmtree(self.work / "data", ignore_errors=True)
        shutil.rmtree(self.work / "exec", ignore_errors=True)
