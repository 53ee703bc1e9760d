"""The professional disclaimer, appended by code to every answer (never left to a model)."""

from __future__ import annotations

from typing import Literal

Audience = Literal["clinician", "student", "patient"]

AUDIENCES: dict[str, str] = {
    "clinician": "Healthcare professional",
    "student": "Student",
    "patient": "Patient or caregiver",
}

_DISCLAIMERS: dict[str, str] = {
    "clinician": (
        "Professional Medical Disclaimer: This information is intended for healthcare "
        "professionals as a summary of the cited guideline and research sources. It does not "
        "replace clinical judgement, the full text of the sources, or local protocols; verify "
        "doses and recommendations before acting on them."
    ),
    "student": (
        "Educational Disclaimer: This summary of the cited sources is for learning. It is not "
        "clinical advice; check the full sources and ask your supervisor before applying it "
        "to a patient."
    ),
    "patient": (
        "Medical Disclaimer: This is general information from medical sources, not medical "
        "advice for you. Please talk to your doctor or another qualified health professional "
        "about your own situation. If you have sudden weakness, numbness or other urgent "
        "symptoms, seek emergency care."
    ),
}


def disclaimer_for(audience: str) -> str:
    return _DISCLAIMERS.get(audience, _DISCLAIMERS["clinician"])
