"""The law as logic: compiled to Datalog, situations, the completeness proof and its certificate."""
