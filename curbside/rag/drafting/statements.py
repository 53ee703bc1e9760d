"""What kind of statement a sentence is, by its words: a finding, or a statement about its
source (methods, scope, standing), about the evidence (its grade, what is not known), one that
leans on the sentence before it, a definition, or the treatment, test, dose or outcome a
question type asks for. Pure text rules, no model: the extractive writer uses them to choose
the opening line and to keep sentences that are not answers out of the answer.
"""

from __future__ import annotations

import re

from curbside.rag.lexicon import entities_in, term_pattern
from curbside.rag.question import PHASES, Concept, QuestionAnalysis
from curbside.rag.text import normalize

ABOUT_THE_SOURCE_SECTION = re.compile(
    r"^(scope|methods?|about|purpose|purpose and methods|scope and methods|"
    r"overview of the (review|guideline)|how the (guideline|review) was (made|developed))$",
    re.IGNORECASE,
)
ABOUT_THE_SOURCE = re.compile(
    # "In this cohort, X was 46%" is a finding placed in its study, not a sentence about it.
    r"\b(this (systematic )?review|this guideline|"
    r"(?<!\bin )this (cohort|study|report|paper|article|statement|update)|"
    # "This multicentre Italian study enrolled consecutive patients ...", "The Toronto lupus
    # clinic database was used to study ...": how the study was done.
    r"^this( [\w-]+){1,3} (study|trial|cohort|series|review|analysis)\b|\benrolled\b|"
    r"(was|were) used to (study|examine|identify|assess)|"
    r"randomi[sz]ation was|(was|were) stratified by|^eligible (patients|participants)|"
    r"(were|was) eligible|inclusion criteria|"
    # "All 348 patients met both the ACR criteria and the Chapel Hill definition": whom the
    # study took, not a finding.
    r"\b(all|every) (\d+ )?(patients|participants|cases)( [\w-]+){0,3} (met|fulfilled|"
    r"satisfied)\b|"
    r"(were|was) (retrospectively|prospectively) (identified|reviewed|enrolled|included)|"
    r"the (review|guideline|task force|panel|authors?) (searched|included|"
    r"was|were|aimed|used|combined|reviewed)|searched (medline|pubmed|embase|the literature)|"
    r"were included|aimed to|(was|were) (published|endorsed)|evidence base is|"
    r"drawn from an? (narrative |systematic )?review|stated tentatively|wrote|"
    r"reviewed the literature|"
    # "A retrospective cohort study reviewed all nerve biopsies ...", "Over 5 years, the two
    # London centres identified 53 patients ...": how the study found its patients.
    r"^an? ([\w-]+ ){0,3}(study|trial|cohort|review|analysis|series) (reviewed|enrolled|"
    r"included|examined|selected|identified|recruited)\b|"
    r"\b(centres|centers|hospitals|clinics|units) (identified|recruited|enrolled)\b|"
    # "The 2021 EAN/PNS guideline ... revises the 2010 EFNS/PNS guideline", "Before this 2010
    # PNS guideline, ...", "The AAN regards the AHA/ASA guideline as a useful tool".
    r"(revises|replaces|supersedes) the|this \d{4}\b|regards the .{0,80}? as an? |"
    r"(guideline|review|statement|recommendations)( on [\w ,-]+)? summari[sz]es|"
    r"(is|are|was|were) endorsed by|affirms the|written on behalf of|"
    r"round-table|were convened|met in|to draft|drafted|(was|were) developed|consensus "
    r"(meeting|process)|literature search|evidence review|updates the|(trial|study|review|"
    r"guideline|cohort|overview)( \([^)]*\))? (was|is) an? (multi\w*|randomi\w*|prospective|"
    r"retrospective|open-label|double-blind|systematic|narrative|single-cent\w*)|"
    # How a study was done, not what it found ("A cross-sectional study examined how often
    # ...", "a double-blind, double-dummy design compared ...", "The 1972 description was a
    # case series of 25 patients", "The pathway is based on a narrative review").
    r"(examined|investigated|explored) (how|whether|which|the)|double-dummy|"
    # "Data for the 2017 EULAR/ACR IIM criteria came from 47 clinics", "The SLICC criteria
    # were then validated in a separate sample of 690 scenarios."
    r"\bdata (for|in|of) .{0,80}? came from|(was|were) (then )?validated in an? |"
    r"(was|were) tested for (sensitivity|specificity|accuracy)|"
    # How the evidence was graded ("rated with GRADE methodology, and each recommendation
    # needed at least 70% agreement of the voting panel").
    r"(rated|graded|assessed) with (the )?GRADE|GRADE evidence summaries|voting panel|"
    r"(review|study|trial|analysis) assessed|"
    # "SLE patients with neuropathy were compared with those without for clinical features."
    r"(was|were) compared (with|to|between)\b[^.;]*\bfor\b[^.;,]*(?=\.$)|"
    r"randomi[sz]ed design|study design|based on an? (narrative |systematic )?review|"
    r"is an? (narrative|systematic) review|"
    r"was an? (case series|cohort|survey|(single|multi)-?cent\w* \w+)|"
    # A study's aim is not its finding ("The aim of the study was to see whether ...",
    # "To determine current practice ...").
    r"(the )?(aims?|objectives?|purpose|goals?) of (the|this|our) (study|trial|review|work)|"
    # What was measured, not what was found ("The main variables were the number of GP
    # visits ...", "The primary outcome was the proportion of ..."; not "The primary end point
    # was reached by 63 patients").
    r"\bthe (main|primary|secondary) (variables|outcome measures?|outcomes?|end ?points?) "
    r"(were|was) (the|a|an)\b|"
    # "The study goal was to determine whether pre-operative fasting glucose is associated ..."
    r"\b(the )?(study|primary|main) (aims?|goals?|objectives?|purpose) (was|were|is) to\b|"
    # ("(1) To describe the prevalence of ...; (2) to identify ...": numbered aims too.)
    r"(?:^|(?<=^\(\d\) ))"
    r"(to (determine|assess|evaluate|investigate|examine|compare|describe|explore|identify)|"
    r"we (sought|aimed|set out) to)|"
    # The document's standing, not medicine ("... are voluntary guidance", "... appeared in
    # both Arthritis & Rheumatology and ...", "does not include every proper method of care").
    r"voluntary guidance|appeared in both|published in both|every proper method|"
    r"other acceptable methods|(were|was) graded|evidence scheme|grading scheme|"
    r"companion \d{4}|evidence base for|developed jointly|literature published between|"
    # Who wrote it ("The AAN developed the 2009 practice parameter ... jointly with ...").
    r"developed the \d{4}|jointly with the|"
    r"were (all )?cross-?over (trials|studies)|"
    # What a document covers or replaces ("The 2010 EULAR recommendations cover diagnosis,
    # prevention and treatment of NPSLE", "... update the earlier EULAR recommendations").
    r"recommendations (cover|update|address)|\bupdate the \d{4}\b|guidelines? (covers?|updates?)|"
    r"first issued|"
    r"trials prompting|update concerned|"
    r"in light of new evidence)\b",
    re.IGNORECASE,
)
# Statements about the evidence or about who decides, not about the patient ("Evidence for
# gabapentin ... was of moderate certainty", "The final decision ... rests with the
# clinician"): a caveat or a bullet, never the line a clinician reads first, unless the
# question asks about the evidence itself.
HEDGE = re.compile(
    r"\b(certainty|quality of (the )?evidence|(evidence|studies|data|trials)\b[^.]{0,120}\b"
    r"(lacking|scarce|limited|insufficient|sparse)|"
    r"rests? with|would benefit from|could be improved by|should be individuali[sz]ed|"
    # What research should do next ("Further published evidence ... would be useful").
    r"(further|more) (published )?(evidence|research|studies|data)|should be examined in|"
    # How practice falls short, not what to do ("Testing often departs from guideline
    # recommendations", "The place of ... tests still needs to be better defined").
    r"departs? from|room for improvement|needs? to be (better )?defined|account for a large "
    r"share of the cost|"
    # Whom the results apply to ("The results on timing of surgery apply to adults with ...").
    r"(results|findings|conclusions|recommendations)\b[^.]{0,60}\bapply\b|"
    r"(may be|was|were|is|are) confounded|drawn from a narrative review|"
    # Advice resting on thin evidence ("fluoxetine might be considered, based on one small
    # study") is a caveat, not an opening line.
    r"based on (one|a single|a) small (study|trial)|"
    # What is not known yet ("... remains to be tested", "were not studied in any trial").
    r"inconclusive|remains? to be (tested|established|determined|shown|defined)|"
    r"(were|was|have|has) not (been )?studied|unknown whether|"
    # "The epidemiology and treatment of ... have been poorly understood."
    r"(have|has|is|are|was|were|remains?) (been )?(poorly|incompletely) understood|"
    # A study's own limits ("The RA neuropathy study was small, cross-sectional and ...").
    r"(study|trial|cohort|series) was (small|retrospective|cross-sectional|observational|"
    r"uncontrolled))\b",
    re.IGNORECASE,
)
# A sentence that leans on the one before it ("The other 3 patients with trigeminal
# neuropathy had ...") cannot be read first.
LEANS_ON_CONTEXT = re.compile(
    # "Other frequent findings in PAN were ...", "Similarly, ...": the sentence before says
    # what. ("In addition, A. schaalii was found in ..." stands on its own.)
    r"^(the other|other|the remaining|these|those|such|they|their|similarly|likewise|"
    r"this (\w+ )?(group|subgroup|"
    r"cohort|patient|finding|pattern|difference))\b",
    re.IGNORECASE,
)
# "What do guidelines recommend ...?" asks for guideline statements, not a review's advice.
ASKS_FOR_GUIDELINES = re.compile(r"\b(guidelines?|guidance|recommendations)\b", re.IGNORECASE)
# What answers "how is it treated / what tests / what dose": a named intervention or test,
# said with the words of a recommendation or a result. "Early treatment can prevent
# morbidity" and "Testing often departs from guideline recommendations" name neither.
# Medicines by their name's ending or their class (shared by the patterns below).
_DRUGS = (
    r"\w+(mab|oxetine|triptyline|gabalin|pentin|phosphamide|thioprine|trexate|sone|solone|"
    r"olimus|steroids?|corticoids?)|antidepressants?|snris?|ssris?|tcas?|gabapentinoids?|"
    r"opioids?|nsaids?|channel blockers?|antiepileptics?|anticonvulsants?|immunoglobulin|ivig|"
    r"capsaicin|tramadol|tapentadol|botulinum|injections?"
)
_INTERVENTION = re.compile(
    rf"\b({_DRUGS}|"
    r"plasma exchange|plasmapheresis|orthos[ie]s|afo|fes|foot drop stimulator|stimulation|"
    r"surgery|surgical|decompression|discectomy|physiotherapy|physical therapy|"
    r"rehabilitation|exercise|lidocaine)\b",
    re.IGNORECASE,
)
_TEST = re.compile(
    r"\b(tests?|testing|screening|biopsy|nerve conduction|electrodiagnos\w*|"
    r"electromyograph\w*|emg|mri|magnetic resonance|imaging|ultrasound|glucose|hba1c|b12|"
    r"electrophoresis|immunofixation|antibod\w*|serum|blood|lumbar puncture|csf|cerebrospinal|"
    r"examination|straight leg|lasegue|sign|reflexes)\b",
    re.IGNORECASE,
)
# Words of advice (a recommendation), shared by the two patterns below.
_ADVICE_WORDS = (
    r"recommend\w*|should|may be (considered|offered|tried)|consider\w*|first[- ]line|"
    r"second[- ]line|indicated|preferred"
)
_ADVISES = re.compile(
    r"\b(" + _ADVICE_WORDS + r"|initial|effective|efficacy|benefit\w*|improv\w*|"
    r"reduc\w*|better|faster|relie\w*|superior|inferior|similar|suitab\w*|"
    r"(most )?abnormal results|highest yield|can be (treated|managed)|successful|"
    r"help\w*|predict\w*|establish\w*|identif\w*|detect\w*|"
    r"yield|confirm\w*|appropriate|useful|sensitiv\w*|specific\w*|diagnos\w*)\b",
    re.IGNORECASE,
)
# Advice in so many words: what a guideline or the authors say to do, not a result.
RECOMMENDS = re.compile(
    r"\b(" + _ADVICE_WORDS + r"|offer\w*|rescue|(un)?necessary)\b",
    re.IGNORECASE,
)
# "Can foot drop occur in SLE?", "Does mononeuritis multiplex occur in PAN?": whether and how
# often something happens, answered by a finding, not by advice on work-up or treatment.
ASKS_IF_IT_OCCURS = re.compile(
    r"^\s*(can|could|does|do|is|are)\b[^?]*\b(occur\w*|happen\w*|develop\w*|seen|common|"
    r"frequent|present)\b",
    re.IGNORECASE,
)
AMOUNT = re.compile(
    r"\b\d+(\.\d+)?\s?(to \d+(\.\d+)?\s?)?(mg|g|mcg|µg|micrograms?|units?|ml)(/(kg|m2|day|d))?\b",
    re.IGNORECASE,
)
_DOSE = re.compile(rf"{AMOUNT.pattern}|\bdoses?\b", re.IGNORECASE)
# How patients fare, said outright: enough to answer "What is the prognosis of X?" ("Typical
# CIDP is a progressive or relapsing ... weakness" describes the disease, not its outcome).
FARES = re.compile(
    # Disability that remains, not the disability that calls for treatment ("first-line
    # treatment for MMN when disability is severe enough to warrant treatment").
    r"\b(prognos\w*|outcomes?|recover\w*|regain\w*|improv\w*|remission|surviv\w*|mortality|died|"
    r"death|(residual|long-term|permanent|persistent|lasting) disabilit\w*|"
    r"disabilit\w* (at|after) |favourable|favorable|relapse rate|relapsed|"
    r"relapses? (in|occurred))\b",
    re.IGNORECASE,
)
# ...or how the disease runs ("relapsing", "its course"): a wanted section for prognosis
# questions, not enough to answer one.
OUTCOME = re.compile(rf"{FARES.pattern}|\b(relaps\w*|course|poor|spontaneous\w*)\b", re.IGNORECASE)
# "How often ...?" is answered by a proportion ("207 (14%) had peripheral neuropathy"), or
# at least a word of frequency ("fairly frequent").
_COUNT = re.compile(r"\d+(\.\d+)?\s?%|\b\d+ (of|in|out of) (the )?\d+\b", re.IGNORECASE)
_FREQUENCY_WORD = re.compile(
    r"\b(common|commonly|uncommon|rare|rarely|frequent\w*|prevalen\w*|inciden\w*|"
    r"most|majority|minority|few|often)\b",
    re.IGNORECASE,
)
_ANSWERS_TYPE: dict[str, re.Pattern[str]] = {
    "management": _INTERVENTION,
    "dose": _DOSE,
    "diagnosis": _TEST,
    "prognosis": OUTCOME,
    "frequency": re.compile(f"{_COUNT.pattern}|{_FREQUENCY_WORD.pattern}", re.IGNORECASE),
}


# A work-up question that asks about tests; "How are vasculitic neuropathies classified?" and
# "How do I localise the lesion?" are diagnosis questions that do not.
_ASKS_FOR_TESTS = re.compile(
    r"\b(tests?|testing|work-?up|investigat\w*|diagnos\w*|order|screen\w*|biopsy|imaging|"
    r"mri|nerve conduction|electrodiagnos\w*|labs?|laboratory)\b",
    re.IGNORECASE,
)


def answers_the_type(text: str, question_type: str, question: str = "") -> int:
    """2: names what the question type asks for (a treatment, a test, a dose) in the words of
    advice or a result; 1: names it; 0: neither (or the type asks for nothing in particular)."""
    if question_type == "diagnosis" and not _ASKS_FOR_TESTS.search(question):
        return 0
    wanted = _ANSWERS_TYPE.get(question_type)
    if wanted is None or not wanted.search(text):
        return 0
    if question_type == "frequency":
        return 2 if _COUNT.search(text) else 1
    return 2 if question_type in ("dose", "prognosis") or _ADVISES.search(text) else 1


def names_something_else(text: str, analysis: QuestionAnalysis) -> bool:
    """Does the sentence name a condition or finding the question does not (a cause)?"""
    # Direct terms only: "peroneal neuropathy" is a related term of foot drop, and a cause.
    asked = {
        t.lower()
        for c in analysis.topic_concepts()
        for t in [c.name, *c.terms[: c.direct_terms or None]]
    }
    return any(
        e.kind in ("condition", "finding") and not any(t.lower() in asked for t in e.terms)
        for e in entities_in(text)
    )


ASKS_ABOUT_EVIDENCE = re.compile(
    r"\b(evidence|certainty|how (strong|good|reliable)|quality|studies|trials?)\b",
    re.IGNORECASE,
)
# "Do the 2021 ACR recommendations apply to HBV-related PAN?", "Does the guideline cover
# children?": whom a source speaks to, answered by its statement of scope ("... apply to
# systemic PAN, not to ... hepatitis B-related PAN"), otherwise a caveat.
ASKS_ABOUT_SCOPE = re.compile(
    r"\b(do|does|did|would|will)\b[^?]{0,80}\b(recommendations?|guidelines?|criteria|results?|"
    r"findings?)\b[^?]{0,40}\b(apply|cover)\b",
    re.IGNORECASE,
)
STATES_SCOPE = re.compile(r"\b(appl(y|ies)|covers?)\b", re.IGNORECASE)  # "(do not) apply to"
# "What findings would argue against MMN?" asks what excludes the diagnosis.
ASKS_WHAT_EXCLUDES = re.compile(
    r"\b(argues?|speaks?|points?|counts?|weighs?) against\b|\b(exclude|excludes|rule out|"
    r"rules out)\b",
    re.IGNORECASE,
)
SAYS_WHAT_EXCLUDES = re.compile(
    r"\bexclud\w*|\bargues? against\b|\bnot consistent with\b|\brules? out\b|\bred flags?\b",
    re.IGNORECASE,
)
# "Who should decide on an implanted one?" asks who does it (a team, a specialist), not
# whom it is for ("Who should be assessed?" is about patients, and is left alone).
ASKS_WHO_ACTS = re.compile(
    r"\bwho (should|must|can|will|would|is to) (decide|choose|select|manage|supervise|"
    r"deliver|perform|prescribe|do|run|lead|follow up)\b|\bwho decides\b",
    re.IGNORECASE,
)
NAMES_WHO_ACTS = re.compile(
    r"\b(team|specialists?|specialist services?|neurologists?|rheumatologists?|surgeons?|"
    r"physicians?|clinicians?|general practitioners?|multidisciplinary|therapists?|"
    r"physiotherapists?|nurses?)\b",
    re.IGNORECASE,
)
# "What do nerve conduction studies usually show?" is answered by what they showed.
ASKS_WHAT_IT_SHOWS = re.compile(r"\bwhat (do|does|did)\b[^?]{0,80}\b(show|find|reveal)\b", re.I)
REPORTS_A_RESULT = re.compile(r"\b(showed|shows|found|revealed|demonstrated|detected)\b", re.I)
DEFINITIONAL = re.compile(
    r"\b(criteri\w*|definitions?|defined|exclusions?|classif\w*|nomenclature|case "
    r"definition|items?|scores?|weighted)\b",
    re.IGNORECASE,
)
# "What is X?" is answered by a sentence whose subject is X and whose verb says what it is
# ("MCTD combines features of ...", "Clinically, MCTD showed a mixture of ..."), not by one
# that merely names X ("The cause of MCTD is largely unknown").
# "Clinically, X ...", "In the ACR NPSLE nomenclature, polyneuropathy is ...".
_LEADING_ADVERB = re.compile(r"^([A-Z]\w+(ly)?, |In (the )?(?!\d)[\w/ -]{2,50}, |The )?$")
_DEFINING_VERB = re.compile(
    r"^(\s*\([^)]*\))?(\s+[\w'-]+){0,3}?\s+(is|are|was|were|combines|comprises|refers to|"
    r"denotes|consists of|shows|showed|describes|means|includes|results? from)\b"
    # "X is common in ..." says how often, not what X is; "X is not mentioned among ..."
    # says what a source leaves out.
    r"(?!\s+(common|uncommon|rare|frequent|infrequent|seen|found|reported|associated|"
    r"not (mentioned|reported|described|listed|found|seen))\b)",
    re.IGNORECASE,
)


# "NSVN with proximal involvement is ..." defines a subtype, "X and Y are ..." a pair.
_NARROWED_SUBJECT = re.compile(r"^\s+(with|without|in|of|and|or|after|among|from)\b", re.I)


def defines(text: str, concepts: list[Concept], setting: list[Concept] | None = None) -> bool:
    """Is the sentence a statement of what one of the concepts is (it is the subject)? A
    subject narrowed to a subgroup ("Foot drop after stroke is ...") does not say what the
    concept is, unless the subgroup is the setting asked about ("Sensory ataxia in Sjogren's
    syndrome results from ..." for "What is sensory ataxic neuropathy in Sjogren's?")."""
    folded = normalize(text)
    for concept in concepts:
        direct = concept.terms[: concept.direct_terms or None]
        # "The vasculitic neuropathies are a heterogeneous group ..." defines the neuropathy.
        plurals = [t[:-1] + "ies" for t in direct if t.endswith("y")]
        for term in [*direct, *plurals]:
            found = term_pattern(term).search(folded)
            if not found or not _LEADING_ADVERB.match(folded[: found.start()]):
                continue
            verb = _DEFINING_VERB.match(folded[found.end() :])
            if verb is None:
                continue
            narrowed_to = verb.group(0) if _NARROWED_SUBJECT.match(verb.group(0)) else ""
            if not narrowed_to or any(
                term_pattern(t).search(narrowed_to) for c in setting or [] for t in c.terms
            ):
                return True
    return False


# "Medium-vessel vasculitis comprises polyarteritis nodosa and Kawasaki disease": a group
# whose members are listed says what kind of thing each member is.
_GROUP_OF = re.compile(
    r"^[\w ,'()-]{0,60}?\b(vasculitis|vasculitides|neuropath(y|ies)|diseases|disorders|"
    r"syndromes)\s+(comprises?|includes?|consists? of)\b",
    re.IGNORECASE,
)


def names_its_kind(text: str, concepts: list[Concept]) -> bool:
    """Does the sentence name one of the concepts as a member of a group of conditions?
    For "What is X?" when no sentence says what X is."""
    folded = normalize(text)
    group = _GROUP_OF.match(folded)
    if group is None:
        return False
    members = folded[group.end() :]
    return any(
        term_pattern(term).search(members)
        for concept in concepts
        for term in concept.terms[: concept.direct_terms or None]
    )


ASKS_ABOUT_A_LATER_LINE = re.compile(
    r"\b(maintenance|maintain\w*|second[- ]line|third[- ]line|refractory|rescue|relaps\w*|"
    r"remission|long[- ]term|taper\w*|stop\w*|withdraw\w*|duration|how long)\b",
    re.IGNORECASE,
)
ASKS_FOR_THE_FIRST_LINE = re.compile(
    r"\b(first[- ]line|initial|first choice|start with|begin with)\b", re.IGNORECASE
)
# Naming a cause, not saying it is unclear ("the cause ... may not be immediately obvious").
NAMES_A_CAUSE = re.compile(
    r"\b(most (common|frequent) causes?|(common|frequent|usual) causes?|causes? (include|are|is)|"
    r"caused by|due to|results? from|attributable to)\b",
    re.IGNORECASE,
)
CAUSE_UNCLEAR = re.compile(
    r"\b(not (be )?(immediately )?(obvious|clear|known|apparent)|unknown|unclear)\b", re.I
)


# Treatment in general words ("were treated with a range of immunosuppressants"): for "How
# is X in Y treated?" such a sentence about Y answers even if it names no lexicon drug.
TREATMENT_WORDS = re.compile(
    r"\b(treated|treatment|therap(y|ies)|immunosuppress\w*|surgery|surgical|orthos[ie]s|"
    r"rehabilitation|physiotherapy)\b",
    re.IGNORECASE,
)


# Statements that answer what to do after a treatment fails (question.ASKS_AFTER_FAILURE):
# about failure, switching or adding ("After no meaningful improvement with a first drug
# class, a drug from a different class should be considered").
AFTER_FAILURE = re.compile(
    r"\b(not (sufficiently |fully )?effective|ineffective|no (meaningful )?improvement|"
    r"not tolerated|failure|fails?|failed|refractory|switch\w*|adding|add-on|"
    r"partial (improvement|response)|remaining|"
    r"second[- ]line|another (drug|class)|different (effective )?class|combination)\b",
    re.IGNORECASE,
)

# A later line of treatment: what to do after the first fails, or to keep a remission.
LATER_LINE = re.compile(
    r"\b(maintenance|maintain\w*|third[- ]line|rescue|relapse)\b|" + AFTER_FAILURE.pattern,
    re.IGNORECASE,
)


# A treatment named as the patients' circumstance, not as what is judged ("prophylaxis ... for
# patients with EGPA receiving rituximab"): such a sentence does not say whether it works.
_AS_CONTEXT = re.compile(
    r"\b(receiving|taking|exposed to|already on|on long-term)\s+$", re.IGNORECASE
)


def names_as_subject(text: str, concept: Concept) -> bool:
    """Does the sentence name the treatment other than as the patients' circumstance?"""
    folded = normalize(text)
    for term in concept.terms:
        for found in term_pattern(term).finditer(folded):
            before = folded[max(0, found.start() - 40) : found.start()]
            # "receiving rituximab or cyclophosphamide": a list after the circumstance too
            before = re.sub(r"(\w[\w-]*\s+(or|and)\s+|\w[\w-]*,\s+)+$", "", before)
            if not _AS_CONTEXT.search(before):
                return True
    return False


def names_the_other_phase(text: str, question: str) -> bool:
    """A question about one phase ("... for remission induction in GPA?") and a sentence
    about the other ("After remission induction, rituximab is recommended for maintenance")."""
    asked = [p for p in PHASES if re.search(rf"\b{p}\b", question, re.IGNORECASE)]
    if len(asked) != 1:
        return False
    return bool(re.search(rf"\b{PHASES[asked[0]]}\b", text, re.IGNORECASE))


# Prevention said in so many words ("... principles of prevention ...", "to prevent CIPN").
PREVENTS = re.compile(r"\bprevent\w*\b", re.IGNORECASE)

# A guideline's conclusion about its evidence ("... possibly useful (Class III evidence)"),
# not its recommendation ("... should be considered (Level B)").
EVIDENCE_CLASS = re.compile(r"\bClass (I{1,3}|IV|[1-4])\b[^)]*\bevidence\b", re.IGNORECASE)


# A form of a condition: "In motor CIDP, IVIg should be considered as first-line treatment"
# speaks to one form, "IVIg or corticosteroids are recommended as initial treatment for
# typical CIDP and CIDP variants" to all of them.
# Kinds of a condition, not its severity or stage: "For severe sciatica of 6 to 12 weeks'
# duration, one-year outcomes were similar ..." answers "Should people with sciatica have
# surgery early?".
_KINDS = (
    r"motor|sensory|typical|atypical|spastic|vasculitic|hereditary|pure|proximal|distal|"
    r"multifocal|demyelinating|axonal|juvenile|localised|localized|limited|diffuse|cutaneous"
)
_OPENS_WITH_A_FORM = re.compile(
    r"^(?:in|for|among)\s+(?:(?:patients|people|adults|children)\s+with\s+)?"
    rf"({_KINDS}|neuropsychiatric)\s+(.*)$",
    re.IGNORECASE,
)


def speaks_to_one_form(text: str, analysis: QuestionAnalysis) -> bool:
    """Does the sentence open with a form of the condition asked about that the question
    does not ask about ("In motor CIDP, ..." for "What is the first-line treatment for
    CIDP?")?"""
    opening = _OPENS_WITH_A_FORM.match(normalize(text))
    if opening is None:
        return False
    form, rest = opening.group(1).lower(), opening.group(2)
    if form in {w.lower() for w in re.findall(r"[\w-]+", analysis.question)}:
        return False
    return any(
        term_pattern(term).match(rest)
        for concept in [*analysis.focus, *analysis.populations]
        for term in concept.terms[: concept.direct_terms or None]
    )


# Words that name a form of a condition when they stand before it ("spastic foot drop",
# "sensory ataxic neuropathy", "permanent foot drop").
# ...and, asked of in a question, also its course or its worst ("permanent foot drop").
_FORM_WORD = (
    rf"{_KINDS}|flaccid|permanent|painful|chronic|acute|ataxic|refractory|small-fiber|"
    r"small-fibre"
)
_FORM_BEFORE = re.compile(rf"\b({_FORM_WORD})\s+$", re.IGNORECASE)


def forms_asked(analysis: QuestionAnalysis) -> list[str]:
    """The forms of its condition the question names, as "form term" patterns: "spastic
    foot drop" in "Options for spastic foot drop after a stroke?"."""
    folded = normalize(analysis.question)
    forms = []
    for concept in [*analysis.focus, *analysis.populations]:
        for term in concept.terms[: concept.direct_terms or None]:
            for found in term_pattern(term).finditer(folded):
                before = _FORM_BEFORE.search(folded[: found.start()])
                if before:
                    forms.append(rf"\b{re.escape(before.group(1))}\s+{term_pattern(term).pattern}")
    return list(dict.fromkeys(forms))


def speaks_to_the_form_asked(text: str, forms: list[str]) -> bool:
    folded = normalize(text)
    return any(re.search(form, folded, re.IGNORECASE) for form in forms)


# "What non-drug treatments does NICE recommend for sciatica?": care without medicines.
ASKS_WITHOUT_DRUGS = re.compile(
    r"\bnon-?(drug|pharmacolog\w*|medication)\b|\bwithout (drugs|medicines|medication)\b",
    re.IGNORECASE,
)
NAMES_A_DRUG = re.compile(
    rf"\b({_DRUGS}|\w+(caine|azepines?)|drugs?|medicines?|medications?|analgesi\w+|"
    r"paracetamol)\b",
    re.IGNORECASE,
)


# "In Sjogren's syndrome, the PNS is involved in a similar way to scleroderma": what one
# condition is like, not what happens in it.
LIKE_ANOTHER = re.compile(
    r"\b(in )?(a|the) (similar|same) (way|manner|pattern|fashion) (to|as)\b|\bsimilarly to\b",
    re.IGNORECASE,
)
# "What is the difference between A and B?", "A versus B": two things set side by side.
ASKS_TO_COMPARE = re.compile(
    r"\b(difference between|differ|versus|vs\.?|compared? (with|to))\b", re.IGNORECASE
)


# "Which ones should I avoid?", "What should not be used for sciatica?": what is advised
# against, said as such.
ASKS_WHAT_TO_AVOID = re.compile(
    r"\b(avoid\w*|should (not|n't) be (used|given|offered)|not (to )?use)\b",
    re.IGNORECASE,
)
ADVISES_AGAINST = re.compile(
    r"\b(not (be )?recommended|should not|must not|do not (offer|use|give)|should be avoided|"
    r"contraindicat\w*|discouraged)\b",
    re.IGNORECASE,
)
# Classification criteria: "What score do you need for definite myositis?", "How many points
# to classify?" ask for the threshold; "How many points for Raynaud's?" for an item's points;
# "How does it perform vs the 1980 criteria?" for sensitivity and specificity.
ASKS_FOR_A_THRESHOLD = re.compile(
    r"\b(what|which) (total )?score\b|\bscore (do you|do i|is|are) (need|needed|required)|"
    r"\bhow many points (to|are needed|do you need|do i need|for (a )?(definite|diagnosis|"
    r"classification))|\bcut-?off\b|\bthreshold\b|"
    # "How do the 2013 ACR/EULAR criteria work?": by points up to a threshold.
    r"\bhow (do|does) (the )?[\w /-]{0,60}\bcriteri(a|on) work\b",
    re.IGNORECASE,
)
NAMES_A_THRESHOLD = re.compile(
    r"\b(at least|total( score)? of|or more|of \d+(\.\d+)? or more)\b[^.]{0,40}\d|"
    r"\b\d+(\.\d+)? or more\b|\bscore at least\b",
    re.IGNORECASE,
)
NAMES_POINTS = re.compile(r"\bscores? \d+(\.\d+)?( points?)?\b|\b\d+(\.\d+)? points?\b", re.I)
# "Does it matter how quickly we treat it?", "How soon should the nerve be repaired?": when.
ASKS_ABOUT_TIMING = re.compile(
    # When to act, not how fast something happens ("How quickly does foot drop recover?").
    r"\bhow (quickly|soon|fast|early|late)\b(?=[^?]*\b(treat|start|begin|operat|repair|graft|"
    r"refer|give|giv|intervene|decompress)\w*)|\b(timing|delay(ed|s)?)\b|"
    r"\bwhen to (treat|start|operate|repair|refer)\b",
    re.IGNORECASE,
)
SAYS_WHEN = re.compile(
    # (Not "Earlier series suggested ...": when a study was done, not when to act.)
    r"\b(early|earlier(?! (series|studies|reports|trials|work|versions?|guidelines?))|earliest|"
    r"delay\w*|prompt(ly)?|timing|urgent(ly)?|as soon as|"
    r"(within|after|before|by) (\d+|one|two|three|four|six)( to \d+)? "
    r"(hours?|days?|weeks?|months?))\b",
    re.IGNORECASE,
)
# "What's the NNT for gabapentin?": the number needed to treat, or another effect size.
ASKS_FOR_AN_EFFECT_SIZE = re.compile(
    r"\b(NNTs?|NNHs?|numbers? needed to (treat|harm)|effect sizes?|risk ratios?|odds ratios?|"
    r"relative risks?|hazard ratios?)\b",
    re.IGNORECASE,
)
NAMES_AN_EFFECT_SIZE = re.compile(
    r"\b(NNT|NNH|numbers? needed to (treat|harm)|effect size|risk ratio|odds ratio|"
    r"relative risk|hazard ratio|RR|OR|HR)\b"
)
ASKS_FOR_ACCURACY = re.compile(
    r"\bsensitiv\w*|\bspecificity\b|\baccura(te|cy)\b|\bperformance\b|"
    r"\bhow (does|do|did) [\w /-]{1,60}? perform\b",
    re.IGNORECASE,
)
NAMES_ACCURACY = re.compile(
    r"\b(sensitivity|specificity|accuracy|area under|AUC|positive predictive|negative "
    r"predictive)\b",
    re.IGNORECASE,
)
# "Main side effects of tricyclics and duloxetine?", "Is it well tolerated?": harms said as
# such, not the recommendation to use the drug. (Not "Is fundectomy safe and effective?", a
# research question about the whole balance.)
ASKS_FOR_HARMS = re.compile(
    r"\b(side[- ]effects?|adverse (effects?|events?|reactions?)|harms?|toxicit\w*|"
    r"tolerat\w*|tolerab\w*)\b",
    re.IGNORECASE,
)
NAMES_A_HARM = re.compile(
    r"\b(adverse|side[- ]effects?|harms?|toxicit\w*|somnolence|dizziness|nausea|"
    r"constipation|dry mouth|weight gain|sedation|tolerat\w*|safety)\b",
    re.IGNORECASE,
)
# "What are the risk factors for X?", "Who is at risk?": risk said as such.
# (Not "Is the virus a risk factor for pterygium?": one association, a yes/no question.)
ASKS_FOR_RISK = re.compile(
    r"\b(what|which)\b[^?]*\b(risk factors?|predispos\w*|"
    r"(features|factors|findings|characteristics)\s+(are\s+|were\s+)?(associated|linked))\b|"
    r"\bwho is at risk\b|\bwho gets\b",
    re.IGNORECASE,
)
# "What is the most common type of diabetic neuropathy?" is answered by the type and its
# share ("Chronic DSPN accounts for about 75% of diabetic neuropathies").
ASKS_FOR_THE_COMMONEST = re.compile(
    r"\bmost (common|frequent|usual) (type|form|kind|variety|cause|presentation)s?\b", re.I
)
NAMES_THE_COMMONEST = re.compile(
    r"\baccounts? for (about |around |up to )?\d+|\bmost (common|frequent) (type|form|kind|"
    r"variety|cause|presentation)\b|\bwas the most (common|frequent)\b",
    re.IGNORECASE,
)
NAMES_A_RISK = re.compile(
    r"\b(risk factors?|predispos\w*|(higher|increased|greater) risk|associated with|"
    r"linked (to|with)|correlated with)\b",
    re.IGNORECASE,
)
# "Is neuropathy in AAV linked to a particular ANCA?" asks whether an association was found.
ASKS_ABOUT_A_LINK = re.compile(
    r"\b(linked|associated|related|correlated|association)\s+(to|with|between)\b", re.IGNORECASE
)


_FAILS = (
    r"(is|are)\s+not\s+(sufficiently\s+|fully\s+)?effective|(is|are)\s+ineffective|"
    r"fails?|failed|(is|are)\s+not\s+tolerated"
)


def says_it_fails(text: str, concept: Concept) -> bool:
    """Is the sentence about what to do when this treatment does not work ("If IVIg is not
    sufficiently effective in MMN, ...")? Naming it among others that fail ("when IVIg and
    corticosteroids are ineffective") counts too; another treatment's failure does not."""
    folded = normalize(text)
    for term in concept.terms[: concept.direct_terms or None]:
        named = term_pattern(term).pattern
        clause = rf"\b(if|when|after)\b[^,;.]*?(?:{named})[^,;.]*?\b({_FAILS})\b"
        if re.search(clause, folded, re.IGNORECASE):
            return True
    return False
