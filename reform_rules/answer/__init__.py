"""One citizen's answer: the rule base, reasons and citations, receipts, timelines, checks and diffs."""
