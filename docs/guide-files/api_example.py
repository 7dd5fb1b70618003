"""The Python API in a few lines (run from the project root: python docs/guide-files/api_example.py)."""
from reform_rules import RuleBase

base = RuleBase.load("rules")                       # read, validate and compile every rule file
print(len(base.ruleset.rules), "rules in", len(base.ruleset.subjects), "subjects")

citizen = base.load_citizen("scenarios/examples/thomas.yaml")
for day in ("2026-12-31", "2027-03-01"):
    answer = base.evaluate(citizen, day, lang="en")
    print(day, answer.phase, answer.target_group, answer.sanctionable, answer.status)

answer = base.evaluate(citizen, "2027-03-01", lang="en")
for ob in answer.obligations:
    print("obligation:", ob.kind, ob.count, "by", ob.by, "rule", ob.rule)
for reason in answer.explanation[:4]:
    print(f"reason: {reason.rule} [{reason.status}]")

rule = base.ruleset.rule("aktivitetsparate")            # every rule is a typed object
print(rule.id, rule.file, rule.line, rule.status, rule.valid_from, rule.condition.text())
