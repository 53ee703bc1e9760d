"""The answer's sections: what each one holds, and their order for each question type.

A sentence is shown under the section a small learned head (`SectionHead`, fitted by
scripts/train_section_classifier.py on sentences clinician-annotators placed) picks from its
embedding, its similarity to each section's description and a few word cues, so "High-dose
glucocorticoids are advised as first-line treatment" lands under Treatment whatever words it
uses (keyword rules once put it under "Causes"), and "Opioids are not recommended for
sciatica" is treatment advice, not a caveat. The nearest section description alone is the
fallback, and is what the sentence ranker and the opening-line rules were fitted with
(`Candidate.section`). The order follows what
the question asks: a treatment question opens with Treatment, a "can X occur in Y" question
with mechanisms and then one point per condition it lists, as on the design page.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from curbside.rag.question import QuestionType

if TYPE_CHECKING:
    import numpy as np

    from curbside.rag.embedding import Embedder

MECHANISMS = "Mechanisms"
FREQUENCY = "How often it occurs"
DIAGNOSIS = "Diagnosis and work-up"
TREATMENT = "Treatment"
OUTCOMES = "Outcomes and prognosis"
CAVEATS = "Important caveats"
BY_CONDITION = "By condition"
BY_OPTION = "By option"

# Generic on purpose: words of the domain ("nerve", "vasculitis") in a description would pull
# every sentence about nerves towards it, whatever the sentence says about them.
SECTION_DESCRIPTIONS: dict[str, str] = {
    MECHANISMS: "the cause and mechanism: why and how it happens, pathophysiology, the "
    "underlying lesion and where it is",
    FREQUENCY: "how common it is: prevalence, incidence, the percentage or proportion of "
    "patients affected",
    DIAGNOSIS: "how it is diagnosed: examination, tests, studies, biopsy, imaging and "
    "criteria used to confirm it",
    TREATMENT: "how it is treated: therapy, drugs, doses, surgery, devices, first-line and "
    "second-line options that are recommended",
    OUTCOMES: "what happens afterwards: prognosis, recovery, remission, relapse, survival",
}
# Caveats are found by their words: a limitation can be about any of the topics above.
_CAVEAT = re.compile(
    r"\b(limitation\w*|uncertain\w*|insufficient|low[- ]quality|very low|weak evidence|"
    r"limited evidence|conflicting|not recommended|should not|no evidence|lack of evidence|"
    r"rare|rarely|uncommon|not common|caution|exclude other causes|other causes)\b",
    re.IGNORECASE,
)
# "Multifocal motor neuropathy (MMN) is an uncommon, purely motor ... neuropathy": what the
# condition is, though it says "uncommon"; no caveat.
_DEFINES_AN_ABBREVIATION = re.compile(
    r"^[A-Z][\w'-]*( [\w'-]+){0,6} \([A-Z][A-Za-z]{1,6}\) (is|are) (an?|the)\b"
)

SECTION_ORDER: dict[QuestionType, list[str]] = {
    "yes_no": [MECHANISMS, BY_CONDITION, FREQUENCY, DIAGNOSIS, TREATMENT, OUTCOMES, CAVEATS],
    "other": [MECHANISMS, BY_CONDITION, FREQUENCY, DIAGNOSIS, TREATMENT, OUTCOMES, CAVEATS],
    "definition": [MECHANISMS, BY_CONDITION, DIAGNOSIS, TREATMENT, OUTCOMES, CAVEATS],
    "frequency": [FREQUENCY, BY_CONDITION, MECHANISMS, DIAGNOSIS, TREATMENT, OUTCOMES, CAVEATS],
    "diagnosis": [DIAGNOSIS, BY_CONDITION, MECHANISMS, TREATMENT, OUTCOMES, CAVEATS],
    "management": [TREATMENT, BY_CONDITION, OUTCOMES, DIAGNOSIS, MECHANISMS, CAVEATS],
    "dose": [TREATMENT, BY_CONDITION, OUTCOMES, CAVEATS],
    "prognosis": [OUTCOMES, BY_CONDITION, TREATMENT, FREQUENCY, MECHANISMS, DIAGNOSIS, CAVEATS],
    "comparison": [BY_OPTION, TREATMENT, OUTCOMES, DIAGNOSIS, MECHANISMS, CAVEATS],
}
# The section whose statements answer each question type best (a ranking bonus).
WANTED: dict[QuestionType, set[str]] = {
    "yes_no": {MECHANISMS, FREQUENCY},
    "other": set(),
    "definition": {MECHANISMS},
    "frequency": {FREQUENCY},
    "diagnosis": {DIAGNOSIS},
    "management": {TREATMENT, OUTCOMES},
    "dose": {TREATMENT},
    "prognosis": {OUTCOMES},
    "comparison": {TREATMENT, OUTCOMES},
}


# Source headings that say nothing about the topic of what is under them.
_UNINFORMATIVE_HEADING = re.compile(
    r"^(|background|introduction|findings|results|key (findings|points)|summary|overview|"
    r"discussion|conclusions?|main findings|what the evidence showed|significance)$",
    re.IGNORECASE,
)
_FREQUENCY_SIGNAL = re.compile(
    r"\d|\b(common|commonly|rare|rarely|prevalen\w*|inciden\w*|frequen\w*|often|most|"
    r"majority|minority|few|many)\b",
    re.IGNORECASE,
)
HEADING_WEIGHT = 0.3  # a source's own section heading ("Treatment") is good evidence
# Words that settle a section whatever the rest of the sentence is about (a small nudge
# added to the similarity, not a rule: "treatment" in a sentence about prognosis stays there).
_PRIORS: dict[str, re.Pattern[str]] = {
    FREQUENCY: re.compile(
        r"\d+(\.\d+)?\s?%|\b\d+ (of|in) (the )?\d+\b|\b(prevalen\w*|inciden\w*|"
        r"frequen\w*|commonly|uncommon)\b",
        re.IGNORECASE,
    ),
    TREATMENT: re.compile(
        r"\b(treat\w*|therap\w*|first[- ]line|second[- ]line|recommended|dose|doses|mg|"
        r"glucocorticoid\w*|rituximab|cyclophosphamide|immunosuppress\w*|immunoglobulin|"
        r"orthos[ie]s|surgery|surgical|decompression|stimulat\w*|duloxetine|pregabalin|"
        r"gabapentin)\b",
        re.IGNORECASE,
    ),
    DIAGNOSIS: re.compile(
        r"\b(diagnos\w*|biopsy|nerve conduction|electrodiagnos\w*|electromyograph\w*|emg|"
        r"imaging|mri|criteria|test\w*|examination|screen\w*)\b",
        re.IGNORECASE,
    ),
    OUTCOMES: re.compile(
        r"\b(prognos\w*|recover\w*|outcome\w*|remission|relapse\w*|surviv\w*|mortality|"
        r"died|death)\b",
        re.IGNORECASE,
    ),
}
PRIOR_WEIGHT = 0.15

SECTION_WEIGHTS_FILE = Path(__file__).with_name("section_weights.json")
#: The sections the learned head chooses among, in the order of its weight rows.
HEAD_SECTIONS = (*SECTION_DESCRIPTIONS, CAVEATS)


def head_features(text: str, vector: np.ndarray, similarities: np.ndarray) -> np.ndarray:
    """What the learned head reads of a sentence: its embedding, its similarity to each
    section description (with its source heading's), and the word cues above."""
    import numpy as np

    cues = [float(bool(p.search(text))) for p in _PRIORS.values()]
    cues.append(float(bool(_CAVEAT.search(text)) and not _DEFINES_AN_ABBREVIATION.match(text)))
    return np.concatenate([vector, similarities, np.asarray(cues)])


class SectionHead:
    """A multinomial logistic regression over `head_features`, fitted by
    `scripts/train_section_classifier.py` on sentences a clinician-annotator placed under
    the answer's sections (`evalsets/sections.jsonl`, train split)."""

    def __init__(
        self, weights: list[list[float]], bias: list[float], embedding_model: str = ""
    ) -> None:
        import numpy as np

        # It reads raw embedding components: vectors of another model mean nothing to it.
        self.embedding_model = embedding_model
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        if self.weights.shape[0] != len(HEAD_SECTIONS) or self.bias.shape != (len(HEAD_SECTIONS),):
            raise ValueError("section weights do not fit the sections")

    def section(self, features: np.ndarray) -> str:
        return HEAD_SECTIONS[int((self.weights @ features + self.bias).argmax())]


@functools.lru_cache(maxsize=2)
def load_section_head(path: Path = SECTION_WEIGHTS_FILE) -> SectionHead | None:
    """The fitted head, or None when there is no weights file (or it is for other sections
    or another feature size): the nearest description is used then."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("sections") != list(HEAD_SECTIONS):
            return None
        head = SectionHead(data["weights"], data["bias"], str(data.get("embedding_model", "")))
        if head.weights.shape[1] != int(data["features"]):
            return None
        return head
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _model_identity(embedder: Embedder) -> str:
    try:
        return str(embedder.model_identity)
    except (AttributeError, OSError):
        return ""


class SectionClassifier:
    """Which section of the answer a sentence goes under. With the learned head
    (`load_section_head`), its choice; without it, the nearest section description, by
    cosine similarity of normalised embeddings: of the sentence, and of the heading it
    stood under in its source when that heading says something ("Electrodiagnosis" does;
    "Findings" does not)."""

    def __init__(self, embedder: Embedder, learned: bool = True) -> None:
        self.embedder = embedder
        self.names = list(SECTION_DESCRIPTIONS)
        self._vectors = embedder.encode_cached(list(SECTION_DESCRIPTIONS.values()))
        head = load_section_head() if learned else None
        if head is not None and head.embedding_model != _model_identity(embedder):
            head = None  # fitted on another model's vectors: the nearest description
        self.head = head

    def similarities(
        self, sentence_vectors: np.ndarray, headings: list[str] | None = None
    ) -> np.ndarray:
        sims = sentence_vectors @ self._vectors.T
        if headings:
            informative = sorted({h for h in headings if not _UNINFORMATIVE_HEADING.match(h)})
            if informative:
                heading_sims = dict(
                    zip(
                        informative,
                        self.embedder.encode_cached(informative) @ self._vectors.T,
                        strict=True,
                    )
                )
                for i, heading in enumerate(headings):
                    if heading in heading_sims:
                        sims[i] = sims[i] + HEADING_WEIGHT * heading_sims[heading]
        return sims

    def shown_under(self, text: str, similarities: np.ndarray, vector: np.ndarray) -> str:
        """The section a reader finds the sentence under: the learned head's choice, or the
        nearest description without it."""
        if self.head is not None:
            features = head_features(text, vector, similarities)
            if features.shape[0] == self.head.weights.shape[1]:
                return self.head.section(features)
        return self.section(text, similarities)

    def section(self, text: str, similarities: np.ndarray) -> str:
        """The nearest section description, nudged by word cues; a caveat by its words."""
        if _CAVEAT.search(text) and not _DEFINES_AN_ABBREVIATION.match(text):
            return CAVEATS
        sims = similarities.copy()
        for name, pattern in _PRIORS.items():
            if pattern.search(text):
                sims[self.names.index(name)] += PRIOR_WEIGHT
        order = [self.names[i] for i in sims.argsort()[::-1]]
        if order[0] == FREQUENCY and not _FREQUENCY_SIGNAL.search(text):
            return order[1]  # "how often" without a number or a frequency word is not that
        return order[0]


def lead_with_first_point(text: str) -> str:
    """An answer must open with a finding, not a heading: when enforcement dropped the opening
    line (a study's aim, an unsupported verdict) and a section now comes first, its first
    bullet moves up to open the answer (and the section goes if that was its only point)."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if filled and lines[filled[0]].startswith("# "):
        filled = filled[1:]
    if len(filled) < 2:
        return text
    heading, first = filled[0], filled[1]
    if not lines[heading].startswith("## ") or not lines[first].startswith("- "):
        return text
    point = lines[first][2:].strip()
    rest = filled[2:]
    section_empty = not rest or lines[rest[0]].startswith("#")
    drop = {first} | ({heading} if section_empty else set())
    kept = [line for i, line in enumerate(lines) if i not in drop]
    at = heading  # lines before the heading are unchanged, so the index still holds
    kept[at:at] = [point, ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
