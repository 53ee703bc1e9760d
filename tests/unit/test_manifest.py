"""The ingest manifest: atomic save, tolerant load, content hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curbside.ingest.manifest import MANIFEST_VERSION, Manifest, ManifestEntry, content_hash
from curbside.rag.models import Section, SourceDocument, SourceMeta


def doc(
    text: str = "Gabapentin helps.", title: str = "Guide", origin: str = "a.md"
) -> SourceDocument:
    return SourceDocument(
        meta=SourceMeta(id="g1", title=title, kind="guideline", origin=origin),
        sections=[Section(heading="Advice", text=text)],
    )


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "index" / "manifest.json"  # the folder does not exist yet
    manifest = Manifest(path)
    manifest.entries["g1"] = ManifestEntry("abc", "corpus/g1.md", 4, "Guide one")
    manifest.entries["a0"] = ManifestEntry("def", "corpus/a0.md", 2)
    manifest.save()

    loaded = Manifest.load(path)
    assert loaded.entries == manifest.entries
    data = json.loads(path.read_text())
    assert data["version"] == MANIFEST_VERSION
    assert list(data["sources"]) == ["a0", "g1"]  # sorted, so diffs stay small
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]  # no temp file left


def test_a_failed_save_leaves_the_previous_manifest_intact(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    manifest = Manifest(path, {"g1": ManifestEntry("abc", "a.md", 1)})
    manifest.save()
    before = path.read_bytes()

    manifest.entries["bad"] = ManifestEntry("x", "b.md", object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manifest.save()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "",
        "[]",
        '{"version": 1}',
        '{"version": 1, "sources": {"g1": {"unexpected": 1}}}',
        '{"version": 1, "sources": {"g1": "just a string"}}',
    ],
)
def test_a_corrupt_manifest_loads_as_empty(tmp_path: Path, content: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    manifest = Manifest.load(path)
    assert manifest.entries == {}
    assert manifest.path == path


def test_a_missing_manifest_loads_as_empty(tmp_path: Path) -> None:
    assert Manifest.load(tmp_path / "nothing.json").entries == {}


def test_is_current_compares_the_content_hash(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "m.json", {"g1": ManifestEntry("abc", "a.md", 1)})
    assert manifest.is_current("g1", "abc")
    assert not manifest.is_current("g1", "abd")
    assert not manifest.is_current("other", "abc")


def test_content_hash_ignores_the_origin_but_not_text_or_metadata() -> None:
    base = content_hash(doc())
    assert content_hash(doc(origin="moved/elsewhere.md")) == base
    assert content_hash(doc(text="Gabapentin helps a lot.")) != base
    assert content_hash(doc(title="Another guide")) != base
