"""What a power cut left, file by file (chaos.lazyfs.survey), on hand-made trees whose
answer is known: one file of each kind, and files that must not be counted."""

from __future__ import annotations

from pathlib import Path

from chaos.lazyfs.survey import KINDS, survey


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_each_kind_of_damage_is_named_and_the_untouched_files_are_not_counted(tmp_path):
    written = _tree(tmp_path / "before", {
        "storage/new.json": b'{"status": "running"}',      # created, never committed: missing
        "storage/task.json": b'{"status": "completed"}',   # committed creation, data never synced: empty
        "storage/chunks.log": b"chunk-1\nchunk-2\nchunk-3\n",  # an append never synced: truncated
        "storage/state.json": b'{"v": 2}',                 # rewritten in place, never synced: reverted
        "db/synced": b"same bytes on both sides",          # synced: not counted
    })  # fmt: skip
    left = _tree(tmp_path / "after", {
        "storage/task.json": b"",
        "storage/chunks.log": b"chunk-1\n",
        "storage/state.json": b'{"v": 1}',
        "storage/removed.json": b"{}",  # its unlink was never committed: back
        "db/synced": b"same bytes on both sides",
    })  # fmt: skip
    got = survey(written, left, ["storage", "db"])
    assert {k: got[k] for k in KINDS} == {"missing": 1, "empty": 1, "truncated": 1, "reverted": 1, "back": 1}
    assert got["files_compared"] == 6
    assert got["by_volume"] == {"storage": {"missing": 1, "empty": 1, "truncated": 1, "reverted": 1, "back": 1}}
    kinds = {e["path"]: (e["kind"], e["bytes_written"], e["bytes_left"]) for e in got["examples"]}
    assert kinds["storage/chunks.log"] == ("truncated", 24, 8)
    assert kinds["storage/new.json"] == ("missing", 21, None)
    assert kinds["storage/removed.json"] == ("back", None, 2)


def test_a_shorter_file_whose_start_differs_is_reverted_not_truncated(tmp_path):
    written = _tree(tmp_path / "before", {"v/f": b"new content, longer"})
    left = _tree(tmp_path / "after", {"v/f": b"old content"})
    assert survey(written, left, ["v"])["reverted"] == 1


def test_only_the_paths_given_are_compared_and_empty_files_on_both_sides_are_equal(tmp_path):
    written = _tree(tmp_path / "before", {"a/x": b"1", "b/y": b"", "c/z": b"3"})
    left = _tree(tmp_path / "after", {"a/x": b"1", "b/y": b""})
    got = survey(written, left, ["a", "b"])  # c was not touched since the last cut: not asked
    assert got["files_compared"] == 2 and all(got[k] == 0 for k in KINDS) and got["examples"] == []
