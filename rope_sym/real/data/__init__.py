"""Measured evidence (probe outputs) shipped with the library, one JSON file per packaged model."""
