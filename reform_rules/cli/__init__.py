"""The ``reform`` command line."""
