"""The Datalog clauses one default rule and its exception compile to (python docs/guide-files/datalog_example.py)."""
from reform_rules import RuleBase

base = RuleBase.load("rules")
wanted = ("'kontakt-sygemeldte'", "'kontakt-sygemeldte-fra-job-undtagelse'", "_obligation(C, R)")
for line in base.program.text.splitlines():
    if any(w in line for w in wanted):
        print(line)
