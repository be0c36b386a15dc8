"""Nadhir (نذير): early warning of air attacks."""

__version__ = "0.1.0"
