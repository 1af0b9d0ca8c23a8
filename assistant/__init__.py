"""Cyber Diplomacy Assistant: cited answers over cyber diplomacy documents, offline."""
from .answering import Answer, Citation, Passage
from .api import Assistant, open
from .retrieval import Filters

__all__ = ["Answer", "Assistant", "Citation", "Filters", "Passage", "open"]
__version__ = "0.1.0"
