"""Whole caseloads: the batch, its files and formats, the Dask path and the impact report."""
