"""logbaseline: continuous compliance with the SEC04-BP01 logging baseline."""

__version__ = "0.1.0"
