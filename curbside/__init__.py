"""curbside: cited answers to clinical questions from guideline and research sources."""

__version__ = "0.1.0"
