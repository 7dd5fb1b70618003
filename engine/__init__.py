"""reform-rules: the Danish employment reform of 2025 as rules-as-code.

Rule files (YAML) in ``rules/`` are loaded, validated, compiled to Datalog (pyDatalog) and
queried for one citizen on one date; every answer carries the rules and sources behind it.
"""
from .errors import CitizenError, ReformError, RuleFileError
from .citizen import Citizen, load_citizen, parse_citizen
from .answer import Answer
from .query import RuleBase

__all__ = ["Answer", "Citizen", "CitizenError", "ReformError", "RuleBase", "RuleFileError",
           "load_citizen", "parse_citizen"]
__version__ = "0.1.0"
