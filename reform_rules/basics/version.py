"""The version of reform-rules (one place; the package, receipts and the API read it)."""
__version__ = "0.1.0"
