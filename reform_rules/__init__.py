"""reform-rules: the Danish employment reform of 2025 as rules-as-code.

Rule files (YAML) in ``rules/`` are loaded, validated, compiled to Datalog (pyDatalog) and
queried for one citizen on one date; every answer carries the rules and sources behind it.
"""
from reform_rules.answer.answer import Answer
from reform_rules.answer.rulebase import RuleBase
from reform_rules.basics.errors import CitizenError, ReformError, RuleFileError
from reform_rules.basics.version import __version__
from reform_rules.law.citizen import Citizen, load_citizen, parse_citizen

__all__ = ["Answer", "Citizen", "CitizenError", "ReformError", "RuleBase", "RuleFileError",
           "__version__", "load_citizen", "parse_citizen"]
