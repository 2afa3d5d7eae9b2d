"""Alert rules: their format (``model``), conditions, compilation and evaluation per kind."""
