"""The words of the web pages by the keys the templates and the JavaScript use: a view over the one
catalogue (:mod:`reform_rules.basics.i18n`; the Danish is in its ``reform.po``). The answer's own words
come from :mod:`reform_rules.answer.explain`."""
from __future__ import annotations

from reform_rules.answer.explain import LABELS
from reform_rules.basics.i18n import LANGS, N_, Words, pick_lang

# The link to the other language, in that language: not a translation of anything, so not in the catalogue.
_SWITCH = {"da": {"switch_lang": "English", "switch_lang_title": "Switch to English"},
           "en": {"switch_lang": "Dansk", "switch_lang_title": "Skift til dansk"}}

_PAGE = Words({
    "app_title": N_("The employment reform of 2025"), "app_subtitle": N_("Rules as code"),
    "nav_citizen": N_("Citizen"), "nav_rules": N_("Rules"), "nav_api": N_("API"),
    "citizen_title": N_("What applies to the citizen?"),
    "citizen_intro": N_("Enter or load a citizen, choose a date, and see the answer with its reasons and sources. "
                        "Nothing is stored."),
    "examples": N_("Examples"), "upload": N_("Load file (YAML/JSON)"), "section_person": N_("Citizen"),
    "f_id": N_("Id"), "f_id_hint": N_("a pseudonym – never a CPR number"),
    "section_spells": N_("Benefits and programmes"),
    "spells_hint": N_("Dates are inclusive; “to” may be left empty when the period is open-ended."),
    "spells_empty": N_("No benefits or programmes: the citizen is self-supporting."), "f_what": N_("What"),
    "f_from": N_("From"), "f_to": N_("To"), "add_spell": N_("+ {kind}"), "remove": N_("Remove"),
    "remove_row": N_("Remove the row"), "choose": N_("– choose –"), "not_given": N_("–"),
    "not_given_long": N_("not given"), "no": N_("no"), "section_query": N_("Question"), "f_date": N_("Date"),
    "submit": N_("Show answer"), "clear": N_("Clear"), "date_hint": N_("YYYY-MM-DD"),
    "no_answer": N_("Fill in the citizen, choose a date and press “Show answer”."), "working": N_("Working …"),
    "answer_for": N_("Answer for {citizen} on {date}"), "error_title": N_("The input cannot be used"),
    "error_network": N_("The server did not answer."), "rests_on": N_("The answer rests on"),
    "rests_law": N_("Every rule behind the answer is law in force."),
    "rests_other": N_("At least one rule behind the answer is not law in force. The reasons concerned are marked."),
    "requirement": N_("Requirement"), "due": N_("Due"), "first_due": N_("First by"), "state": N_("Status"),
    "applies": N_("applies"), "waived_badge": N_("waived"), "waived_under": N_("waived under"),
    "programme": N_("Programme"), "programme_status": N_("Status"), "copy_text": N_("Copy as text"),
    "copied": N_("Copied"), "show_json": N_("The answer as JSON (the contract)"), "receipt": N_("Receipt"),
    "receipt_rules": N_("rule set"), "rule": N_("Rule"), "effect_sets_aside": N_("exception"),
    "effect_waived": N_("waived"),
    "footer": N_("Read-only: nothing is stored, and the citizen's data is not written to the server log."),
    "noscript": N_("This page needs JavaScript. The API can be used directly: see /docs."),
    "rules_title": N_("The rules"),
    "rules_intro": N_("Every rule by subject. Choose a date to see only the rules valid on that day."),
    "filter_date": N_("Valid on"), "filter_subject": N_("Subject"), "all_subjects": N_("All subjects"),
    "filter_status": N_("Status"), "all_statuses": N_("All"), "filter": N_("Show"), "reset": N_("Reset"),
    "check_title": N_("Rule file check (reform check)"), "check_clean": N_("The rule files are clean"),
    "check_broken": N_("The rule files have errors"),
    "check_stale": N_("The files have changed since the server started; restart the server to answer by them."),
    "check_running": N_("The completeness check (every situation on every date) is running in the background; reload "
                        "the page in a while to see it."),
    "check_undetermined": N_("{n} declared open questions (undetermined, not errors)"),
    "served_from": N_("The server answers by the rules in {directory}, loaded {loaded}."), "valid": N_("Valid"),
    "valid_from": N_("from"), "valid_to": N_("to"), "always": N_("always"), "decides": N_("Decides"),
    "first_within_weeks": N_("the first within {} weeks"), "conditions": N_("Conditions"),
    "no_conditions": N_("none (applies to all)"), "overrides": N_("Overrides"), "effect": N_("Effect"),
    "effect_replace": N_("replaces the rule"), "effect_waive": N_("waives the requirement (shown as waived)"),
    "sources": N_("Sources"), "question": N_("Open question"), "reason": N_("Reason"), "file": N_("File"),
    "n_rules": N_("{n} rules"), "n_shown": N_("{shown} of {total} rules shown"),
    "none_valid": N_("No rules are valid on this date."), "title_other": N_("Danish title"),
    "statuses": N_("A rule's status"), "docs_title": N_("API"),
    "docs_intro": N_("The JSON API, as described by the OpenAPI document"),
    "docs_loading": N_("Fetching /openapi.json …"), "skip_form": N_("Skip to the form"),
    "skip_answer": N_("Skip to the answer"), "skip_content": N_("Skip to the content"),
    "answer_region": N_("The answer"), "nav_sources": N_("Sources"), "sources_title": N_("The sources"),
    "sources_intro": N_("Every document the rules cite, with its title, date and status. The seed documents are "
                        "copied into the project and can be read here."),
    "src_title": N_("Title"), "src_date": N_("Date"), "src_kind": N_("Kind"), "src_status": N_("Status"),
    "src_address": N_("Public address"), "src_text": N_("The text"), "src_raw": N_("The copy as plain text"),
    "src_reference": N_("Reference"), "src_note": N_("The registry's note"), "src_cited_by": N_("Cited by"),
    "src_text_title": N_("The document's text"),
    "src_quoted": N_("Lines the rules quote are marked. Every line has a link of its own."),
    "src_no_text": N_("The copy of the document is not on the server."), "src_not_dated": N_("not dated"),
    "src_not_found": N_("No source has the id {id}."), "src_all": N_("All sources"), "src_open": N_("open"),
    "src_copy_note": N_("Copy in the project (text extracted from PDF)"), "src_rules": N_("{n} rules"),
    "srckind_seed": N_("seed document"), "srckind_law": N_("law"), "srckind_bill": N_("bill"),
    "srckind_agreement": N_("agreement"), "srckind_guidance": N_("guidance"), "srckind_press": N_("press release"),
    "srckind_hearing": N_("hearing response"), "srckind_parliament": N_("parliamentary document"),
    "srckind_secondary": N_("secondary source"), "tl_title": N_("When the answer holds"),
    "tl_intro": N_("The periods from {from} to {to} in which the answer stays the same, and what changes at each "
                   "boundary – and why."),
    "tl_loading": N_("Working out the timeline …"), "tl_error": N_("The timeline could not be computed."),
    "tl_picture": N_("The timeline drawn: one lane per part of the answer"), "tl_list": N_("The periods"),
    "tl_period": N_("{from} – {to}"), "tl_changes": N_("Changes"), "tl_why": N_("Why"),
    "tl_now_apply": N_("Rules that now apply"), "tl_no_longer": N_("Rules that no longer apply"),
    "tl_first": N_("The answer at the start of the timeline"), "tl_this_date": N_("the chosen date"),
    "tl_n_periods": N_("{n} periods"), "explanation": N_("the reasons"),
    "tl_rules_change": N_("rules that come into force or end that day: {n}"),
    "tl_summary": N_("The answer in the period"), "decision_title": N_("Statement of reasons"),
    "decision_law": N_("under the Danish Public Administration Act, §§ 22–24 (forvaltningsloven)"),
    "decision_intro": N_("Ready for a decision: the legal rules the answer rests on, the facts it takes as given, "
                         "and the assessment. Read it through before using it."),
    "decision_decision": N_("The answer"), "decision_rules": N_("The legal rules"),
    "decision_rules_intro": N_("The answer rests on these rules and sources:"), "decision_facts": N_("The facts"),
    "decision_facts_intro": N_("These facts about the citizen are taken as given:"),
    "decision_assessment": N_("The assessment"),
    "decision_assessment_intro": N_("The rules applied to the facts, in the order they apply:"),
    "decision_caveats": N_("Caveats"),
    "decision_caveats_none": N_("Every rule behind the answer is law in force; no element rests on a bill, a "
                                "political agreement or a provisional reading."),
    "decision_caveat": N_("Item {n} rests on {status}"),
    "decision_caveats_intro": N_("Parts of the answer do not rest on law in force:"),
    "decision_open": N_("Questions the sources do not settle:"), "decision_cites": N_("cited in item {n}"),
    "fact_date": N_("The answer is for"), "fact_age": N_("{age} years old on the date"), "fact_open": N_("ongoing"),
    "fact_none": N_("no benefits or programmes (self-supporting)"), "fact_yes": N_("yes"), "print": N_("Print"),
    "copy_decision": N_("Copy the statement"), "copy_link": N_("Copy link"), "link_copied": N_("Link copied"),
    "permalink_note": N_("The link carries the citizen's details in the address's # part, which the browser never "
                         "sends to the server. Share it only where the details may be shared."),
    "permalink_bad": N_("The link could not be read; the form is unchanged."),
    "missing_title": N_("Information that is missing"),
    "missing_intro": N_("The answer depends on facts that were left empty. Fill them in here (or in the form, where "
                        "they are marked) and see the answer again:"),
    "missing_apply": N_("Use and show the answer"),
    "missing_open": N_("the answer is undetermined until it is given"), "missing_rules": N_("The rules that ask"),
    "whatif_title": N_("What could change the answer?"),
    "whatif_intro": N_("The nearest things that would give another answer: one fact at a time moved to the nearest "
                       "value the rules tell apart, and the nearest dates before and after. Each names the rules "
                       "that make the difference."),
    "whatif_none": N_("No nearby change of a single fact or of the date gives another answer."),
    "whatif_loading": N_("Working out what could change the answer …"),
    "whatif_error": N_("What could change the answer could not be worked out."),
    "whatif_starts": N_("Rules that start to apply"), "whatif_stops": N_("Rules that no longer apply"),
    "whatif_becomes": N_("becomes"), "error_date_bad": N_("the date is incomplete or not valid"),
    "error_number_bad": N_("the number is not valid"), "error_file_large": N_("{name} is over 1,000,000 bytes"),
    "error_original": N_("The server's message"), "row_n": N_("row {n}"), "f_body": N_("The request"),
    "f_file": N_("The file"), "f_lang": N_("Language"), "f_citizen": N_("The citizen"),
})

# The API names a bad field in English (``citizen: spells[1].benefit: 'x' is not a known benefit``); the
# Danish page says it in Danish: the field from its path, the message by these patterns (JavaScript
# regular expressions, matched against the part after the field; $1 … are the groups; the words are the
# catalogue's msgids, their Danish sent to the page). A message no pattern knows is shown in Danish by its
# field, with the server's words beside it.
ERROR_PATTERNS: list[tuple[str, str]] = [
    (r"^'(.*)' is not a date \(YYYY-MM-DD\)$", N_("“$1” is not a date (YYYY-MM-DD)")),
    (r"^'(.*)' is not a date \(no such day\)$", N_("“$1” is not a date (no such day)")),
    (r"^(\S+) is outside the years (\d+)–(\d+)$", N_("$1 is outside the years $2–$3")),
    (r"^missing or empty: give a pseudonymous id$", N_("missing: give a pseudonymous id (never a CPR number)")),
    (r"^missing: the first day of the spell$", N_("missing: the first day of the period")),
    (r"^missing: the date to answer for \(YYYY-MM-DD\)$", N_("missing: the date the answer is for")),
    (r"^missing\b.*$", N_("missing")),
    (r"^'(.*)' is not a known benefit\b.*$", N_("“$1” is not a known benefit")),
    (r"^'(.*)' is not a known programme\b.*$", N_("“$1” is not a known programme")),
    (r"^'(.*)' is not a municipality name\b.*$", N_("“$1” is not the name of a municipality")),
    (r"^(.*) is not true or false$", N_("$1 is neither yes nor no")),
    (r"^benefit spells overlap: spells\[(\d+)\].* and spells\[(\d+)\].*$",
     N_("the benefits in row {$1} and row {$2} overlap; a citizen receives one benefit at a time")),
    (r"^(\S+) is before the citizen was born \((.*)\)$", N_("$1 is before the citizen's birth ($2)")),
    (r"^(\S+) is before from \((.*)\)$", N_("$1 is before “from” ($2)")),
    (r"^unknown field '(.*)'.*$", N_("unknown field “$1”")),
    (r"^an assessment only goes with: (.*)$", N_("an assessment only goes with: $1")),
    (r"^'(.*)' is not one of: (.*)$", N_("“$1” is not one of: $2")),
    (r"^only goes with benefit (.*)$", N_("only goes with the benefit $1")),
    (r"^'?(.*?)'? is not a number of weeks \((.*)\)$", N_("“$1” is not a number of weeks ($2)")),
    (r"^(?:a list|a mapping) is not (?:a single value|a date).*$", N_("must be a single value")),
    (r"^the answer for (\S+) cannot be computed.*$",
     N_("the answer for $1 cannot be computed: a deadline would fall outside the calendar")),
    (r"^not valid JSON.*$", N_("is not valid JSON")),
    (r"^the request body is over (.*) bytes$", N_("the request is over $1 bytes")),
]

UI: dict[str, dict[str, str]] = {lang: {**LABELS[lang], **_PAGE[lang], **_SWITCH[lang]} for lang in LANGS}

__all__ = ["ERROR_PATTERNS", "LANGS", "UI", "pick_lang"]
