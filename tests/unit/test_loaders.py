"""Loaders: every supported format, good and bad files (no model, no store)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from curbside.ingest.loaders import LoaderOptions, LoadError, LoadProblem, loader_for
from curbside.ingest.loaders.html import HtmlLoader
from curbside.ingest.loaders.jsonl import JsonlLoader
from curbside.ingest.loaders.markdown import MarkdownLoader
from curbside.ingest.loaders.pdf import PdfLoader
from curbside.ingest.loaders.pubmed import MedlineLoader, PubmedXmlLoader, classify
from curbside.rag.models import SourceDocument


def load_all(
    path: Path, options: LoaderOptions | None = None
) -> list[SourceDocument | LoadProblem]:
    return list(loader_for(path, options).load(path))


def load_one(path: Path, options: LoaderOptions | None = None) -> SourceDocument:
    items = load_all(path, options)
    assert len(items) == 1 and isinstance(items[0], SourceDocument), items
    return items[0]


def load_error(path: Path) -> str:
    with pytest.raises(LoadError) as info:
        load_all(path)
    return str(info.value)


# ---- sample files -------------------------------------------------------------------------
GOOD_MARKDOWN = """\
---
id: aan-test-2020
title: "Foot drop: a test guideline"
kind: guideline
evidence_type: guideline
publisher: Neurology
year: 2020
authors: ["Smith J", "Doe A"]
doi: 10.1000/test
---

Text before any heading.

# Foot drop: a test guideline

## Causes

Common peroneal neuropathy is the most frequent cause of foot drop.
L5 radiculopathy is the second most frequent cause.

## Treatment ##

An ankle-foot orthosis improves gait.
"""


def minimal_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A one-page PDF whose content stream prints `lines` in Helvetica (correct xref)."""
    shown = " ".join(f"({line}) '" for line in lines)
    stream = f"BT /F1 12 Tf 72 720 Td 14 TL {shown} ET".encode()
    info = f"<< /Title ({title}) >>".encode() if title else None
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if info:
        objects.append(info)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"/Size %d /Root 1 0 R" % (len(objects) + 1)
    if info:
        trailer += b" /Info %d 0 R" % len(objects)
    out += b"trailer\n<< " + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


PDF_LINES = [
    "INTRODUCTION",
    "Gabapentin reduces neuropathic pain in adults.",
    "It is well tolerated by most patients.",
    "2. Dosing advice",
    "Start at a low dose and titrate to effect.",
]


def encrypted_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf(PDF_LINES))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PUBMED_XML = """\
<?xml version="1.0" ?>
<PubmedArticleSet>
 <PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
   <PMID Version="1">31000001</PMID>
   <Article PubModel="Print">
    <Journal>
     <JournalIssue CitedMedium="Internet">
      <PubDate><Year>2019</Year><Month>May</Month></PubDate>
     </JournalIssue>
     <Title>Deutsches Arzteblatt international</Title>
    </Journal>
    <ArticleTitle>The interdisciplinary management of <i>foot drop</i>.</ArticleTitle>
    <ELocationID EIdType="doi" ValidYN="Y">10.3238/arztebl.2019.0347</ELocationID>
    <Abstract>
     <AbstractText Label="BACKGROUND">Foot drop has many causes.</AbstractText>
     <AbstractText Label="METHODS">A selective literature review.</AbstractText>
     <AbstractText Label="CONCLUSIONS" NlmCategory="CONCLUSIONS">Treat the cause;
      an orthosis helps.</AbstractText>
    </Abstract>
    <AuthorList CompleteYN="Y">
     <Author ValidYN="Y">
      <LastName>Carolus</LastName><ForeName>Anne E</ForeName><Initials>AE</Initials>
     </Author>
     <Author ValidYN="Y"><LastName>Becker</LastName><Initials>M</Initials></Author>
     <Author ValidYN="Y"><CollectiveName>A study group</CollectiveName></Author>
    </AuthorList>
    <PublicationTypeList>
     <PublicationType UI="D016428">Journal Article</PublicationType>
     <PublicationType UI="D017065">Practice Guideline</PublicationType>
    </PublicationTypeList>
   </Article>
  </MedlineCitation>
 </PubmedArticle>
 <PubmedArticle>
  <MedlineCitation>
   <PMID Version="1">31000002</PMID>
   <Article>
    <Journal>
     <JournalIssue><PubDate><MedlineDate>2018 Jan-Feb</MedlineDate></PubDate></JournalIssue>
     <Title>Pain</Title>
    </Journal>
    <ArticleTitle>Duloxetine for painful neuropathy: a randomised trial.</ArticleTitle>
    <Abstract><AbstractText>Duloxetine reduced pain more than placebo.</AbstractText></Abstract>
    <PublicationTypeList>
     <PublicationType>Randomized Controlled Trial</PublicationType>
    </PublicationTypeList>
   </Article>
  </MedlineCitation>
 </PubmedArticle>
 <PubmedArticle>
  <MedlineCitation>
   <PMID Version="1">31000003</PMID>
   <Article><ArticleTitle>A letter without an abstract.</ArticleTitle></Article>
  </MedlineCitation>
 </PubmedArticle>
</PubmedArticleSet>
"""

MEDLINE_NBIB = """\
PMID- 23000001
OWN - NLM
STAT- MEDLINE
DP  - 2013 Apr 3
TI  - Effect of duloxetine on pain, function, and quality of life among patients with
      chemotherapy-induced painful peripheral neuropathy: a randomized clinical
      trial.
LID - 10.1001/jama.2013.2813 [doi]
AB  - IMPORTANCE: There are no known effective treatments for painful
      chemotherapy-induced peripheral neuropathy. OBJECTIVE: To determine the effect
      of duloxetine on pain. RESULTS: Duloxetine reduced average pain more than
      placebo. CONCLUSIONS AND RELEVANCE: Duloxetine resulted in a greater reduction
      in pain than placebo.
FAU - Smith, Ellen M Lavoie
AU  - Smith EM
AU  - Pang H
PT  - Journal Article
PT  - Randomized Controlled Trial
TA  - JAMA
JT  - JAMA

PMID- 23000002
TI  - A comment without an abstract.
PT  - Comment
"""


# ---- Markdown with YAML front matter -------------------------------------------------------
def test_markdown_front_matter_and_sections(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(GOOD_MARKDOWN)
    doc = load_one(path)
    meta = doc.meta
    assert (meta.id, meta.kind, meta.year, meta.publisher) == (
        "aan-test-2020",
        "guideline",
        2020,
        "Neurology",
    )
    assert meta.title == "Foot drop: a test guideline"
    assert meta.authors == ["Smith J", "Doe A"]
    assert meta.doi == "10.1000/test"
    assert meta.origin == str(path)
    # the H1 equal to the title is not a section; trailing #'s are stripped from headings
    assert [s.heading for s in doc.sections] == ["", "Causes", "Treatment"]
    assert doc.sections[1].text.splitlines() == [
        "Common peroneal neuropathy is the most frequent cause of foot drop.",
        "L5 radiculopathy is the second most frequent cause.",
    ]


def test_markdown_kind_can_be_forced_and_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(GOOD_MARKDOWN.replace("kind: guideline", "kind: Research"))
    assert load_one(path).meta.kind == "research"
    assert load_one(path, LoaderOptions(kind="guideline")).meta.kind == "guideline"


@pytest.mark.parametrize(
    ("front_matter", "reason"),
    [
        ("title: Only a title", "missing required metadata: id, kind"),
        ("id: x\ntitle: '  '\nkind: guideline", "missing required metadata: title"),
        ("id: x\ntitle: T\nkind: opinion", "kind must be 'guideline' or 'research', not 'opinion'"),
        ("id: x\ntitle: T\nkind: research\nyear: recent", "year is not a number"),
        ("id: x\ntitle: [unclosed\nkind: research", "front matter is not valid YAML"),
        ("- a\n- list", "front matter must be a mapping of fields"),
    ],
)
def test_markdown_bad_front_matter_is_refused_with_a_reason(
    tmp_path: Path, front_matter: str, reason: str
) -> None:
    path = tmp_path / "bad.md"
    path.write_text(f"---\n{front_matter}\n---\n\n## Section\n\nSome text.\n")
    assert reason in load_error(path)


def test_markdown_without_front_matter_or_text_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain.md"
    plain.write_text("# Just a note\n\nNo metadata here.\n")
    assert "no YAML front matter" in load_error(plain)
    header_only = tmp_path / "header-only.md"
    header_only.write_text("---\nid: x\ntitle: T\nkind: research\n---\n\n# T\n\n")
    assert "front matter but no text" in load_error(header_only)


# ---- HTML ----------------------------------------------------------------------------------
def test_html_citation_meta_tags(tmp_path: Path) -> None:
    path = tmp_path / "article.html"
    path.write_text(
        """<!doctype html><html><head><title>Site title | Journal</title>
        <meta name="citation_title" content="Mixed connective tissue disease: diagnosis">
        <meta name="citation_author" content="Ortega-Hernandez OD">
        <meta name="citation_author" content="Shoenfeld Y">
        <meta name="citation_journal_title" content="Best Practice Research Clinical Rheumatology">
        <meta name="citation_publication_date" content="2012/04/01">
        <meta name="citation_doi" content="10.1016/j.berh.2012.01.013">
        <script>var tracking = "should not be read";</script>
        </head><body><nav>Home | About</nav>
        <main><h1>Mixed connective tissue disease</h1>
        <p>MCTD overlaps lupus, scleroderma and myositis.</p>
        <h2>Diagnosis</h2><p>Anti-U1 RNP antibodies are required.</p>
        <ul><li>Raynaud phenomenon is common.</li></ul>
        </main><footer>Copyright</footer></body></html>"""
    )
    doc = load_one(path)
    meta = doc.meta
    assert meta.title == "Mixed connective tissue disease: diagnosis"
    assert meta.authors == ["Ortega-Hernandez OD", "Shoenfeld Y"]
    assert meta.publisher == "Best Practice Research Clinical Rheumatology"
    assert meta.year == 2012
    assert meta.doi == "10.1016/j.berh.2012.01.013"
    assert meta.id == "10.1016/j.berh.2012.01.013"
    assert [s.heading for s in doc.sections] == ["Mixed connective tissue disease", "Diagnosis"]
    assert (
        doc.sections[1].text
        == "Anti-U1 RNP antibodies are required.\nRaynaud phenomenon is common."
    )
    assert "tracking" not in doc.full_text and "Home" not in doc.full_text


def test_html_without_meta_tags_uses_the_page_title_and_file_name(tmp_path: Path) -> None:
    path = tmp_path / "NICE Neuropathic Pain.htm"
    path.write_text(
        "<html><head><title>Neuropathic pain</title></head><body>"
        "<p>Offer amitriptyline, duloxetine, gabapentin or pregabalin.</p></body></html>"
    )
    meta = load_one(path).meta
    assert (meta.id, meta.title, meta.kind) == (
        "nice-neuropathic-pain",
        "Neuropathic pain",
        "guideline",
    )


def test_html_without_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text(
        "<html><head><title>Nothing</title><script>x()</script></head><body></body></html>"
    )
    assert "no readable text" in load_error(path)


# ---- JSONL -----------------------------------------------------------------------------------
PUBMEDQA_RECORD = {
    "pmid": "10808977",
    "year": "2000",
    "sections": ["BACKGROUND", "DESIGN", "RESULTS"],
    "text": "Telephone counseling may promote mammography screening. It was not tested.\n"
    "Three-year randomized field trial.\nCounseling raised adherence (71% vs 61%).",
}
MEDQUAD_RECORD = {
    "id": "1_0000001_1-1",
    "source": "CancerGov",
    "url": "https://www.cancer.gov/types/leukemia/patient/adult-all-treatment-pdq",
    "focus": "Adult Acute Lymphoblastic Leukemia",
    "qtype": "information",
    "question": "What is (are) Adult Acute Lymphoblastic Leukemia ?",
    "text": "Adult acute lymphoblastic leukemia (ALL) is a type of cancer of the bone marrow.",
}


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_jsonl_pubmedqa_record_with_sections(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "abstracts.jsonl", [json.dumps(PUBMEDQA_RECORD)])
    doc = load_one(path)
    meta = doc.meta
    assert meta.id == "pmid-10808977"
    assert (meta.pmid, meta.year, meta.kind) == ("10808977", 2000, "research")
    assert meta.url == "https://pubmed.ncbi.nlm.nih.gov/10808977/"
    assert meta.title == "Telephone counseling may promote mammography screening."
    assert meta.origin == f"{path}:1"
    assert [s.heading for s in doc.sections] == ["Background", "Design", "Results"]
    assert doc.sections[2].text == "Counseling raised adherence (71% vs 61%)."


def test_jsonl_medquad_record(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "passages.jsonl", [json.dumps(MEDQUAD_RECORD)])
    doc = load_one(path)
    meta = doc.meta
    assert meta.id == "1_0000001_1-1"
    assert meta.title == "What is (are) Adult Acute Lymphoblastic Leukemia ?"
    assert (meta.publisher, meta.evidence_type, meta.kind) == (
        "CancerGov",
        "information",
        "research",
    )
    assert meta.url == MEDQUAD_RECORD["url"]
    assert [s.heading for s in doc.sections] == [MEDQUAD_RECORD["question"]]


def test_jsonl_field_names_and_kind_are_configurable(tmp_path: Path) -> None:
    record = {"uid": "r1", "headline": "My note", "body": "Some text.", "kind": "guideline"}
    path = write_jsonl(tmp_path / "custom.ndjson", [json.dumps(record)])
    options = LoaderOptions(text_field="body", id_field="uid", title_field="headline")
    meta = load_one(path, options).meta
    assert (meta.id, meta.title, meta.kind) == ("r1", "My note", "guideline")


def test_jsonl_broken_lines_are_reported_and_good_lines_kept(tmp_path: Path) -> None:
    second = dict(MEDQUAD_RECORD, id="second")
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            json.dumps(MEDQUAD_RECORD),
            '{"id": "broken", "text": "unterminated',
            "",
            json.dumps(["not", "an", "object"]),
            json.dumps({"id": "no-text", "title": "T"}),
            json.dumps(second),
        ],
    )
    items = load_all(path)
    documents = [i for i in items if isinstance(i, SourceDocument)]
    problems = {p.where: p.reason for p in items if isinstance(p, LoadProblem)}
    assert [d.meta.id for d in documents] == ["1_0000001_1-1", "second"]
    assert [d.meta.origin for d in documents] == [f"{path}:1", f"{path}:6"]
    assert set(problems) == {f"{path}:2", f"{path}:4", f"{path}:5"}
    assert problems[f"{path}:2"].startswith("invalid JSON")
    assert "not an object" in problems[f"{path}:4"]
    assert "no text" in problems[f"{path}:5"]


def test_jsonl_with_no_good_line_is_a_load_error_after_its_problems(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "broken.jsonl", ["{oops", '{"id": 1, "text": ""}'])
    iterator = JsonlLoader().load(path)
    problems = [next(iterator), next(iterator)]
    assert all(isinstance(p, LoadProblem) for p in problems)
    with pytest.raises(LoadError, match="no valid records"):
        next(iterator)


# ---- PubMed XML and MEDLINE ------------------------------------------------------------------
def test_pubmed_xml_structured_abstract_and_publication_types(tmp_path: Path) -> None:
    path = tmp_path / "efetch.xml"
    path.write_text(PUBMED_XML)
    items = load_all(path)
    guideline, trial, problem = items
    assert isinstance(guideline, SourceDocument) and isinstance(trial, SourceDocument)
    meta = guideline.meta
    assert meta.id == "pmid-31000001"
    assert (meta.kind, meta.evidence_type) == ("guideline", "guideline")
    assert meta.title == "The interdisciplinary management of foot drop."
    assert (meta.year, meta.publisher) == (2019, "Deutsches Arzteblatt international")
    assert meta.authors == ["Carolus AE", "Becker M"]
    assert meta.doi == "10.3238/arztebl.2019.0347"
    assert meta.url == "https://pubmed.ncbi.nlm.nih.gov/31000001/"
    assert meta.origin == f"{path}#PMID31000001"
    assert [(s.heading, s.text) for s in guideline.sections] == [
        ("Background", "Foot drop has many causes."),
        ("Methods", "A selective literature review."),
        ("Conclusions", "Treat the cause; an orthosis helps."),
    ]
    assert (trial.meta.kind, trial.meta.evidence_type, trial.meta.year) == ("research", "RCT", 2018)
    assert [s.heading for s in trial.sections] == ["Abstract"]
    assert isinstance(problem, LoadProblem)
    assert problem.where == f"{path}#PMID31000003" and "no abstract" in problem.reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("<PubmedArticleSet><PubmedArticle>", "invalid XML"),
        ("<root><item/></root>", "no PubmedArticle records"),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "entity"),
    ],
)
def test_pubmed_xml_bad_files(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(content)
    assert reason in load_error(path)


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["Journal Article", "Meta-Analysis", "Systematic Review"], ("research", "meta-analysis")),
        (["Systematic Review"], ("research", "systematic review")),
        (["Consensus Development Conference, NIH"], ("guideline", "consensus statement")),
        (["Case Reports"], ("research", "case report")),
        (["Journal Article"], ("research", "journal article")),
    ],
)
def test_publication_types_map_to_kind_and_evidence(
    types: list[str], expected: tuple[str, str]
) -> None:
    assert classify(types) == expected


def test_medline_nbib_with_continuation_lines(tmp_path: Path) -> None:
    path = tmp_path / "export.nbib"
    path.write_text(MEDLINE_NBIB)
    doc, problem = load_all(path)
    assert isinstance(doc, SourceDocument)
    meta = doc.meta
    assert meta.id == "pmid-23000001"
    assert meta.title == (
        "Effect of duloxetine on pain, function, and quality of life among patients with "
        "chemotherapy-induced painful peripheral neuropathy: a randomized clinical trial."
    )
    assert (meta.kind, meta.evidence_type, meta.year, meta.publisher) == (
        "research",
        "RCT",
        2013,
        "JAMA",
    )
    assert meta.authors == ["Smith EM", "Pang H"]
    assert meta.doi == "10.1001/jama.2013.2813"
    assert [s.heading for s in doc.sections] == [
        "Importance",
        "Objective",
        "Results",
        "Conclusions And Relevance",
    ]
    assert doc.sections[0].text == (
        "There are no known effective treatments for painful chemotherapy-induced "
        "peripheral neuropathy."
    )
    assert isinstance(problem, LoadProblem) and problem.where == f"{path}#PMID23000002"


def test_a_medline_export_saved_as_txt_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "pubmed-export.txt"
    path.write_text(MEDLINE_NBIB)
    assert isinstance(loader_for(path), MedlineLoader)
    markdown = tmp_path / "notes.txt"
    markdown.write_text(GOOD_MARKDOWN)
    assert isinstance(loader_for(markdown), MarkdownLoader)


def test_medline_without_records_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.nbib"
    path.write_text("TI  - A title but no PMID\n")
    assert "no MEDLINE records" in load_error(path)


# ---- PDF ---------------------------------------------------------------------------------
def test_pdf_text_headings_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "Neuropathic Pain Guide.pdf"
    path.write_bytes(minimal_pdf(PDF_LINES, title="Neuropathic pain guide"))
    doc = load_one(path)
    assert (doc.meta.id, doc.meta.title, doc.meta.kind) == (
        "neuropathic-pain-guide",
        "Neuropathic pain guide",
        "guideline",
    )
    assert [(s.heading, s.text) for s in doc.sections] == [
        (
            "Introduction",
            "Gabapentin reduces neuropathic pain in adults. It is well tolerated by most patients.",
        ),
        ("2. Dosing advice", "Start at a low dose and titrate to effect."),
    ]


def test_pdf_metadata_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "guide.pdf"
    path.write_bytes(minimal_pdf(PDF_LINES))
    (tmp_path / "guide.pdf.yaml").write_text(
        "id: nice-cg173\ntitle: Neuropathic pain in adults\nkind: guideline\n"
        "year: 2013\npublisher: NICE\n"
    )
    meta = load_one(path).meta
    assert (meta.id, meta.title, meta.year, meta.publisher) == (
        "nice-cg173",
        "Neuropathic pain in adults",
        2013,
        "NICE",
    )
    (tmp_path / "guide.pdf.yaml").write_text("id: [broken\n")
    assert "sidecar" in load_error(path)


def test_pdf_without_title_takes_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "untitled.pdf"
    path.write_bytes(
        minimal_pdf(["Cervical radiculopathy review", "Most cases resolve without surgery."])
    )
    assert load_one(path).meta.title == "Cervical radiculopathy review"


def test_pdf_encrypted_with_a_password_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypted_pdf(user_password="secret"))
    assert "encrypted" in load_error(path)


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    """Publishers often restrict printing with an owner password; the text is still readable."""
    path = tmp_path / "restricted.pdf"
    path.write_bytes(encrypted_pdf(user_password=""))
    assert "Gabapentin reduces neuropathic pain" in load_one(path).full_text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.4\n" + b"\x00\xff garbage " * 50, "corrupt or unreadable PDF"),
        (minimal_pdf(PDF_LINES)[:300], "corrupt or unreadable PDF"),
        (b"<html>not a pdf</html>", "not a PDF"),
        (minimal_pdf([]), "no text layer"),
    ],
    ids=["garbage", "truncated", "not-pdf", "no-text"],
)
def test_pdf_bad_files(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    assert reason in load_error(path)


# ---- every text loader: the same refusals ------------------------------------------------
TEXT_SUFFIXES = [".md", ".txt", ".html", ".jsonl", ".xml", ".nbib"]

BAD_TEXT: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty": (lambda p: p.write_bytes(b""), "empty"),
    "whitespace": (lambda p: p.write_bytes(b"  \n\n\t "), "empty"),
    "binary": (
        lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        "binary",
    ),
    "latin-1": (
        lambda p: p.write_bytes("---\nid: x\ntitle: Sjögren\n".encode("latin-1")),
        "not valid UTF-8",
    ),
}


@pytest.mark.parametrize("suffix", TEXT_SUFFIXES)
@pytest.mark.parametrize("case", list(BAD_TEXT))
def test_every_text_loader_refuses_empty_binary_and_non_utf8_files(
    tmp_path: Path, suffix: str, case: str
) -> None:
    write, reason = BAD_TEXT[case]
    path = tmp_path / f"bad{suffix}"
    write(path)
    assert reason in load_error(path)


@pytest.mark.parametrize("suffix", [".md", ".pdf", ".html", ".jsonl", ".xml", ".nbib"])
def test_every_loader_sets_origin_sections_and_kind(tmp_path: Path, suffix: str) -> None:
    samples: dict[str, str | bytes] = {
        ".md": GOOD_MARKDOWN,
        ".pdf": minimal_pdf(PDF_LINES),
        ".html": "<html><head><title>Ankle</title></head>"
        "<body><h2>Advice</h2><p>Splint the ankle.</p></body></html>",
        ".jsonl": json.dumps(MEDQUAD_RECORD),
        ".xml": PUBMED_XML,
        ".nbib": MEDLINE_NBIB,
    }
    path = tmp_path / f"sample{suffix}"
    content = samples[suffix]
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    documents = [d for d in load_all(path) if isinstance(d, SourceDocument)]
    assert documents
    for doc in documents:
        assert doc.meta.origin.startswith(str(path))
        assert doc.meta.id and doc.meta.title and doc.meta.kind in ("guideline", "research")
        assert doc.sections and all(s.text.strip() for s in doc.sections)


def test_utf8_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_MARKDOWN.encode())
    assert load_one(path).meta.id == "aan-test-2020"


def test_loader_choice_by_suffix(tmp_path: Path) -> None:
    expected = {
        "a.md": MarkdownLoader,
        "a.markdown": MarkdownLoader,
        "a.PDF": PdfLoader,
        "a.htm": HtmlLoader,
        "a.ndjson": JsonlLoader,
        "a.xml": PubmedXmlLoader,
        "a.nbib": MedlineLoader,
    }
    for name, cls in expected.items():
        assert isinstance(loader_for(tmp_path / name), cls), name
    with pytest.raises(LoadError, match=r"unsupported file type \.docx"):
        loader_for(tmp_path / "a.docx")
