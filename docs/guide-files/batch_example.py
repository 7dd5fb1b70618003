"""The batch core as a pure function of one partition (run from the project root:
python docs/guide-files/batch_example.py). Dask's map_partitions and Spark's mapInPandas call it
the same way, once per partition."""
import pandas as pd

from reform_rules.caseload.batch import batch_frame

partition = pd.read_csv("docs/guide-files/caseload.csv", dtype=str, keep_default_na=False, na_values=[""])
answers = batch_frame(partition, ["2026-12-31", "2027-01-01"], rules_dir="rules", lang="en")

good = answers[answers["error"].isna()]
print(good[["citizen", "date", "phase", "target_group", "sanctionable"]].to_string(index=False))
print()
for row in answers[answers["error"].notna()].itertuples():
    print(f"error in row {row.row} ({row.citizen}): {row.error}")
