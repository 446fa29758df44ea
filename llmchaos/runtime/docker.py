"""The Docker runtime: a stack's ``compose.yaml`` deployed through the Docker Engine API.

Containers, network and volumes are named and labelled as Docker Compose names them
(project ``llmchaos-<stack>``: ``llmchaos-mvp-backend-1``, ``llmchaos-mvp_default``,
``llmchaos-mvp_backend-storage``), so ``docker compose -p llmchaos-mvp ps`` or ``down -v``
see exactly what this runtime made. Published ports bind 127.0.0.1 as the compose files say.

Faults, and why each is done the way it is:
- ``kill`` SIGKILLs the container's main process from the host: a real crash, which the
  container's restart policy answers as it would an OOM kill. (The Engine API's kill
  counts as an operator's decision and switches the restart policy off until the next
  start.) Where the daemon's processes are out of reach (a remote engine), it falls back
  to the API's kill and says so in ``kill_fallbacks``.
- ``kill_all`` uses the API's kill on every container at once: after a power cut nothing
  restarts by itself; ``restart_all`` (or ``up``) is the power coming back.
- ``pause`` freezes the container's cgroup (``docker pause``); ``stop`` is ``docker stop``.
- ``power_cut``: the durable volumes are not Docker volumes but folders of a lazy
  filesystem on the host (``chaos.lazyfs``), bind-mounted where the volumes were. Each
  starts as Docker fills a new named volume, with what the image holds at that path and
  its owners and modes (PostgreSQL's data folder is its user's); ``cut_power`` then drops
  what no container synced, as the host's disk would after a cut.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from llmchaos.errors import LLMChaosError, MissingImageError, NoDockerEngineError
from stacks.compose import ComposeService, parse_duration

from .base import Runtime
from .procfs import wait_gone

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
LLMCHAOS_LABEL = "io.llmchaos.stack"
CONFIG_LABEL = "io.llmchaos.config-hash"
# How long a deployment waits for one Engine API answer. A loaded 2-core machine was seen to
# keep the engine silent past 10 s (a CI run's Temporal baseline cell failed on a ReadTimeout):
# slow is not dead, and a dead engine refuses the connection at once.
API_TIMEOUT_S = 60.0


def docker_client(timeout: float = 10.0):
    """A client for the local engine, or ``NoDockerEngineError`` saying what to do."""
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise NoDockerEngineError(f"the docker Python package is missing ({exc}); run `make setup`") from None
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
        return client
    except Exception as exc:
        raise NoDockerEngineError(
            f"no Docker engine answers at {host} ({type(exc).__name__}); start one (`dockerd &`, or "
            f"`apt-get install docker.io` first) or use --runtime local"
        ) from None


def engine_available() -> bool:
    try:
        docker_client(timeout=3).close()
        return True
    except NoDockerEngineError:
        return False


def _healthcheck(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """A compose healthcheck in the Engine API's terms (durations in nanoseconds)."""
    if not spec:
        return None
    out: dict[str, Any] = {"test": spec["test"]}
    for key, api_key in (("interval", "interval"), ("timeout", "timeout"), ("start_period", "start_period")):
        if key in spec:
            out[api_key] = int(parse_duration(spec[key]) * 1e9)
    if "retries" in spec:
        out["retries"] = int(spec["retries"])
    return out


class DockerRuntime(Runtime):
    name = "docker"
    supports_power_cut = True

    def __init__(self, stack, *, project: str | None = None, client=None, workdir: Path | None = None, **kwargs: Any) -> None:
        """``workdir``: where the lazy filesystem of a ``power_cut`` deployment lives on the
        host (the containers' data, under ``lazyfs/``); a folder of the system's temporary
        directory when not given."""
        super().__init__(stack, **kwargs)
        self.project = project or f"llmchaos-{stack.name}"
        self.client = client or docker_client(timeout=API_TIMEOUT_S)
        self.network_name = f"{self.project}_default"
        self.kill_fallbacks = 0
        self._shared_lock = threading.Lock()
        self.workdir = Path(workdir).resolve() if workdir else Path(tempfile.gettempdir()) / self.project
        self._lazy: Any = None  # chaos.lazyfs.mount.LazyMount holding the durable volumes, with power_cut

    # -- naming ------------------------------------------------------------------------

    def container_name(self, service: str) -> str:
        return f"{self.project}-{service}-1"

    def volume_name(self, volume: str) -> str:
        return f"{self.project}_{volume}"

    def _labels(self, service: str | None = None) -> dict[str, str]:
        labels = {PROJECT_LABEL: self.project, LLMCHAOS_LABEL: self.stack.name}
        if service:
            labels[SERVICE_LABEL] = service
        return labels

    def container(self, service: str):
        """The service's container as the engine sees it now, or None."""
        import docker

        try:
            return self.client.containers.get(self.container_name(service))
        except docker.errors.NotFound:
            return None

    def project_containers(self) -> list:
        return self.client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={self.project}"})

    # -- deploy ------------------------------------------------------------------------

    def _preflight(self) -> None:
        import docker

        for svc in self.compose.services.values():
            try:
                self.client.images.get(svc.image)
            except docker.errors.ImageNotFound:
                raise MissingImageError(f"image {svc.image} (service {self.stack.name}/{svc.name}) is not built: run `make images`") from None
        if self.power_cut and self._lazy is None:
            self._mount_durable_volumes()

    def _mount_durable_volumes(self) -> None:
        """One lazy filesystem on the host for the stack's durable volumes, each a folder of
        it filled as Docker fills a new volume; what it holds before the mount counts as
        synced (a fresh volume is on disk before any container writes)."""
        from chaos.lazyfs.mount import LazyMount  # the power cut's filesystem

        state = self.workdir / "lazyfs" / "state"
        for volume in self.compose.durable_volumes():
            folder = state / "live" / volume
            if not folder.exists():
                self._fill_like_a_new_volume(volume, folder)
        self._lazy = LazyMount(self.workdir / "lazyfs" / "mnt", state).start()

    def _fill_like_a_new_volume(self, volume: str, folder: Path) -> None:
        """What Docker copies into an empty named volume the first time a container mounts
        it: the image's content at the mount's path, owners and modes kept (the image's
        PostgreSQL data folder belongs to its ``postgres`` user; a bind mount of a folder
        made here would belong to root, and PostgreSQL would not start)."""
        import docker

        svc, target = next((s, m.target) for s in self.compose.services.values() for m in s.volumes if m.named and m.source == volume)
        probe = self.client.containers.create(svc.image, name=f"{self.project}-fill-{volume}", labels=self._labels(), detach=True)
        try:
            stream, _ = probe.get_archive(target)
            archive = b"".join(stream)
        except docker.errors.NotFound:  # not in the image: Docker makes an empty folder
            folder.mkdir(parents=True)
            return
        finally:
            probe.remove(force=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            members = tar.getmembers()
            top = members[0]  # the path itself, named as its last component
            folder.mkdir(parents=True)
            for member in members[1:]:
                member.name = member.name.split("/", 1)[1]
                tar.extract(member, folder, numeric_owner=True)
        os.chown(folder, top.uid, top.gid)
        os.chmod(folder, top.mode)

    def _ensure_network(self) -> None:
        if not self.client.networks.list(names=[self.network_name]):
            self.client.networks.create(self.network_name, driver="bridge", labels={**self._labels(), "com.docker.compose.network": "default"})

    def _ensure_volume(self, volume: str) -> str:
        import docker

        name = self.volume_name(volume)
        try:
            self.client.volumes.get(name)
        except docker.errors.NotFound:
            self.client.volumes.create(name, labels={**self._labels(), "com.docker.compose.volume": volume})
        return name

    def _config(self, svc: ComposeService) -> dict[str, Any]:
        """The container's settings, and their hash (a changed setting means a new container)."""
        volumes = {}
        for mount in svc.volumes:
            source = self._volume_source(mount.source) if mount.named else mount.source
            volumes[source] = {"bind": mount.target, "mode": "rw"}
        config = {
            "image_id": self.client.images.get(svc.image).id,
            "command": svc.command,
            "environment": svc.environment,
            "ports": {f"{p.container_port}/tcp": (p.host_ip, p.host_port) for p in svc.ports},
            "volumes": volumes,
            "restart": svc.restart,
            "healthcheck": _healthcheck(svc.healthcheck),
        }
        config["hash"] = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
        return config

    def _on_lazy(self, volume: str) -> bool:
        """The named volume is a folder of the lazy filesystem (``power_cut``), not a Docker volume."""
        return self._lazy is not None and volume in self.compose.durable_volumes()

    def _volume_source(self, volume: str) -> str:
        """The Docker volume, or with ``power_cut`` its folder on the lazy filesystem."""
        return str(self._lazy.mountpoint / volume) if self._on_lazy(volume) else self.volume_name(volume)

    def _start_wave(self, services: list[str]) -> None:
        """Start the wave's containers at once: the engine takes about 0.4 s to create and
        start each, which adds up across a stack's services and a run's cells."""
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="docker-up") as pool:
            list(pool.map(self._start_service, services))

    def _create(self, svc: ComposeService, config: dict[str, Any]):
        # one thread at a time: the engine would create two networks of the same name if
        # two of a wave's containers asked for it at once
        with self._shared_lock:
            self._ensure_network()
            for mount in svc.volumes:
                if mount.named and not self._on_lazy(mount.source):
                    self._ensure_volume(mount.source)
        return self.client.containers.create(
            svc.image,
            command=config["command"],
            name=self.container_name(svc.name),
            hostname=svc.name,
            environment=config["environment"],
            ports=config["ports"],
            volumes=config["volumes"],
            labels={**self._labels(svc.name), CONFIG_LABEL: config["hash"]},
            restart_policy={"Name": svc.restart if svc.restart != "no" else ""},
            healthcheck=config["healthcheck"],
            stop_signal="SIGTERM",
            network=self.network_name,
            networking_config={self.network_name: self.client.api.create_endpoint_config(aliases=[svc.name])},
            detach=True,
        )

    def _start_service(self, service: str) -> None:
        svc = self.compose.services[service]
        config = self._config(svc)
        container = self.container(service)
        if container is not None and container.labels.get(CONFIG_LABEL) != config["hash"]:
            container.remove(force=True)  # as compose does: a changed service gets a new container
            container = None
        container = container or self._create(svc, config)
        container.reload()
        if container.status == "paused":
            container.unpause()
        elif container.status != "running":
            container.start()

    # -- the runtime interface ---------------------------------------------------------

    def _require(self, service: str):
        container = self.container(service)
        if container is None:
            raise KeyError(f"{self.stack.name}/{service} has no container: is the stack up?")
        return container

    def is_running(self, service: str) -> bool:
        container = self.container(service)
        if container is None:
            return False
        return container.status == "running"

    def is_paused(self, service: str) -> bool:
        container = self.container(service)
        return container is not None and container.status == "paused"

    def exited_for_good(self, service: str) -> bool:
        container = self.container(service)
        if container is None or container.status != "exited":
            return False
        return container.attrs["HostConfig"]["RestartPolicy"].get("Name", "") in ("", "no")

    def main_pid(self, service: str) -> int:
        container = self._require(service)
        return int(container.attrs["State"]["Pid"])

    def start(self, service: str) -> None:
        self._start_service(service)

    def kill(self, service: str) -> None:
        """SIGKILL the container's main process; returns once it is dead."""
        container = self._require(service)
        pid = int(container.attrs["State"]["Pid"])
        if pid <= 0:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except (PermissionError, ProcessLookupError):
            self.kill_fallbacks += 1
            container.kill()
            return
        if not wait_gone(pid):
            raise LLMChaosError(f"{self.stack.name}/{service}: pid {pid} survived SIGKILL for 10s")
        # and the engine has seen it die (until then it still says "running", and a start is a no-op)
        deadline = time.monotonic() + 10
        while int(self._require(service).attrs["State"]["Pid"]) == pid:
            if time.monotonic() > deadline:
                raise LLMChaosError(f"{self.stack.name}/{service}: the engine still reports pid {pid} 10s after it died")
            time.sleep(0.01)

    def stop(self, service: str, timeout: float | None = None) -> None:
        grace = self.compose.services[service].stop_grace_period_s if timeout is None else timeout
        container = self._require(service)
        if container.status == "paused":
            container.unpause()
        container.stop(timeout=int(round(grace)))

    def pause(self, service: str) -> None:
        """``docker pause``; the kernel's freezer may fail to stop a process caught in the
        kernel ("OCI runtime pause failed: unable to freeze", seen under load): tried again,
        up to 5 times 0.2 s apart, before the error stands."""
        import docker

        container = self._require(service)
        for attempt in range(5):
            try:
                container.pause()
                return
            except docker.errors.APIError as exc:
                if "unable to freeze" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.2)

    def unpause(self, service: str) -> None:
        self._require(service).unpause()

    def kill_all(self, services: Iterable[str] | None = None) -> None:
        wanted = None if services is None else set(services)
        running = [
            c for c in self.project_containers()
            if c.status in ("running", "paused") and (wanted is None or c.labels.get(SERVICE_LABEL) in wanted)
        ]  # fmt: skip
        threads = [threading.Thread(target=c.kill) for c in running]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def cut_power(self) -> dict:
        if self._lazy is None:
            raise LLMChaosError(f"{self.stack.name}: deployed without power_cut: its volumes are not on the lazy filesystem")
        writers = {s.name for s in self.compose.services.values() for m in s.volumes if m.named and self._on_lazy(m.source)}
        deadline = time.monotonic() + 10.0
        # the engine's kill returns once the signal is sent: the containers' processes may
        # still be writing for a moment, and the cut must come after the last write
        while alive := [c.name for c in self.project_containers() if c.labels.get(SERVICE_LABEL) in writers and c.attrs["State"]["Pid"]]:
            if time.monotonic() > deadline:
                raise LLMChaosError(f"{self.stack.name}: {', '.join(alive)} still running 10s after the power cut")
            time.sleep(0.02)
        return self._lazy.cut()

    def logs(self, service: str) -> str:
        container = self.container(service)
        return container.logs(stdout=True, stderr=True).decode(errors="replace") if container else ""

    def clear_leftovers(self) -> list[str]:
        label = {"label": f"{PROJECT_LABEL}={self.project}"}
        found = [f"container {c.name}" for c in self.project_containers()]
        found += [f"volume {v.name}" for v in self.client.volumes.list(filters=label)]
        found += [f"network {n.name}" for n in self.client.networks.list(filters=label)]
        if found:
            self.down(volumes=True)
        return found

    def down(self, volumes: bool = True) -> None:
        import docker

        def remove(thing, **kwargs) -> None:
            try:
                thing.remove(**kwargs)
            except docker.errors.NotFound:
                pass

        # the engine removes a stack's containers, then its volumes, several at a time
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="docker-down") as pool:
            list(pool.map(lambda c: remove(c, force=True, v=False), self.project_containers()))
            for network in self.client.networks.list(filters={"label": f"{PROJECT_LABEL}={self.project}"}):
                remove(network)
            if volumes:
                list(pool.map(lambda v: remove(v, force=True), self.client.volumes.list(filters={"label": f"{PROJECT_LABEL}={self.project}"})))
        if self._lazy is not None:  # after the containers: none holds the mount any more
            self._lazy.stop()
            self._lazy = None
        if volumes:
            shutil.rmtree(self.workdir / "lazyfs", ignore_errors=True)
