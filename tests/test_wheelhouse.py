"""The images' wheelhouse is kept outside the checkout, by its inputs.

A fresh clone (CI) must find the same bytes instead of downloading them again: the
images' inputs include the wheelhouse, so new bytes would rebuild every image. pip and
the image's own check are replaced by functions that write known files and count calls;
the Docker client is reduced to the one thing the fingerprint reads (the base image's id).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from llmchaos.runtime import images


class Downloads:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, dest, requirements) -> None:
        self.calls += 1
        (dest / "pkg-1.0-py3-none-any.whl").write_bytes(b"wheel bytes %d" % self.calls)


def _files(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _client(base_id: str):
    return SimpleNamespace(images=SimpleNamespace(get=lambda name: SimpleNamespace(id=base_id)))


@pytest.fixture
def downloads(tmp_path, monkeypatch) -> Downloads:
    fake = Downloads()
    monkeypatch.setattr(images, "WHEELHOUSE_CACHE", tmp_path / "cache")
    monkeypatch.setattr(images, "_pip_download", fake)
    monkeypatch.setattr(images, "_pip_wheel_sdists", lambda dest: None)
    monkeypatch.setattr(images, "_missing_in_image", lambda client, base, dest: [])
    return fake


def test_a_second_checkout_copies_the_same_bytes_instead_of_downloading(tmp_path, downloads):
    said: list[str] = []
    first = images.build_wheelhouse(_client("sha256:base"), "base", said.append, dest=tmp_path / "one" / "wheelhouse")
    second = images.build_wheelhouse(_client("sha256:base"), "base", said.append, dest=tmp_path / "two" / "wheelhouse")
    assert downloads.calls == 1
    assert any("copied from" in line for line in said)
    assert _files(first) == _files(second)


def test_other_inputs_are_downloaded_again_and_a_torn_cache_is_not_used(tmp_path, downloads):
    images.build_wheelhouse(_client("sha256:base"), "base", lambda line: None, dest=tmp_path / "one" / "wheelhouse")
    images.build_wheelhouse(_client("sha256:other-base"), "base", lambda line: None, dest=tmp_path / "two" / "wheelhouse")
    assert downloads.calls == 2  # another base image: another Python, other wheels
    for kept in (tmp_path / "cache").iterdir():
        (kept / ".fingerprint").unlink()  # as if a copy had stopped half-way
    images.build_wheelhouse(_client("sha256:base"), "base", lambda line: None, dest=tmp_path / "three" / "wheelhouse")
    assert downloads.calls == 3


def test_an_up_to_date_wheelhouse_fills_an_empty_cache(tmp_path, downloads):
    images.build_wheelhouse(_client("sha256:base"), "base", lambda line: None, dest=tmp_path / "one" / "wheelhouse")
    for kept in (tmp_path / "cache").iterdir():
        images.shutil.rmtree(kept)
    images.build_wheelhouse(_client("sha256:base"), "base", lambda line: None, dest=tmp_path / "one" / "wheelhouse")
    images.build_wheelhouse(_client("sha256:base"), "base", lambda line: None, dest=tmp_path / "two" / "wheelhouse")
    assert downloads.calls == 1
