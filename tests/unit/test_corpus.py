"""The bundled corpus (issue 13): every file names and verifies its source, states findings
rather than reports about the paper, and no source is there twice.

Relies on: corpus/ beside the package, read as files (no model, no store).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from curbside.ingest.loaders.markdown import MarkdownLoader
from curbside.rag.injection import quarantine_instructions
from curbside.rag.text import split_sentences

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FILES = sorted(CORPUS.glob("*.md"))
REQUIRED = (
    "id",
    "title",
    "kind",
    "evidence_type",
    "publisher",
    "year",
    "authors",
    "url",
    "license",
)

# Reported speech: the finding with the paper as its speaker. Each pattern has an example it
# must catch (so a broken pattern fails here, not silently in the corpus scan).
REPORTED_SPEECH = {
    r"(?i)\breminds? (the )?readers?\b": "Stewart reminds readers that bilateral foot drop is rare.",
    r"(?i)\b(the|this) (review|report|article|paper|study|guideline|panel|task force|statement)"
    r" (also )?(points? out|notes|states|concludes|reports|describes|emphasi[sz]es|highlights|"
    r"addresses|discusses|argues|reminds)\b": "The review points out that foot drop has causes.",
    r"(?i)\bthe authors? (also )?(address|note|state|conclude|suggest|argue|point|describe|report)": "The authors also address the concept of MCTD.",
    r"(?i)\b(according to|as stated in) (the|this) (report|review|article|paper|guideline|panel)\b": "According to the report, symptoms predict poorly.",
    r"\band colleagues\b": "England and colleagues published a case definition.",
    r"\b[A-Z][a-z]+ (et al\.? )?(reminds|notes|points out|argues|emphasi[sz]es|writes|wrote)\b": "Gwathmey notes that vasculitis affects nerves.",
}


def front_matter(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, f"{path.name}: no front matter"
    return yaml.safe_load(match.group(1)), text[match.end() :]


def test_corpus_size_and_guideline_share() -> None:
    kinds = Counter(front_matter(p)[0]["kind"] for p in FILES)
    assert len(FILES) >= 65
    assert kinds["guideline"] / len(FILES) >= 0.40, kinds


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_front_matter_is_complete_and_verified(path: Path) -> None:
    fields, _ = front_matter(path)
    missing = [k for k in REQUIRED if not fields.get(k)]
    assert not missing, f"{path.name}: missing {missing}"
    assert fields["id"] == path.stem
    assert fields["kind"] in ("guideline", "research")
    assert str(fields["url"]).startswith("https://") or str(fields["url"]).startswith("http://")
    verified = fields.get("verified_against")
    if verified:
        assert isinstance(verified, list) and all(str(u).startswith("http") for u in verified)
    else:
        assert fields.get("verified") is False and str(fields.get("unverified_reason", "")).strip()
    list(MarkdownLoader().load(path))  # loads as curbside loads it


@pytest.mark.parametrize("pattern", list(REPORTED_SPEECH))
def test_reported_speech_pattern_catches_its_example(pattern: str) -> None:
    assert re.search(pattern, REPORTED_SPEECH[pattern])


@pytest.mark.parametrize("pattern", list(REPORTED_SPEECH))
def test_no_reported_speech_in_the_corpus(pattern: str) -> None:
    hits = []
    for path in FILES:
        _, body = front_matter(path)
        for sentence in split_sentences(body.replace("\n", " ")):
            if re.search(pattern, sentence):
                hits.append(f"{path.name}: {sentence[:120]}")
    assert not hits, "\n".join(hits)


def test_no_source_is_in_the_corpus_twice() -> None:
    for field in ("id", "title", "doi", "pmid", "url"):
        values = [
            str(front_matter(p)[0].get(field) or "").strip().lower().rstrip("/") for p in FILES
        ]
        counts = Counter(v for v in values if v and "pubmed.ncbi.nlm.nih.gov/?term" not in v)
        repeated = {v: n for v, n in counts.items() if n > 1}
        assert not repeated, f"duplicate {field}: {repeated}"


def test_no_corpus_sentence_is_taken_for_an_instruction() -> None:
    """The injection detector must not cut real clinical text out of the bundled corpus."""
    flagged = {}
    for path in FILES:
        document = next(iter(MarkdownLoader().load(path)))
        _, removed = quarantine_instructions(document)  # type: ignore[arg-type]
        if removed:
            flagged[path.name] = removed
    assert not flagged, flagged
