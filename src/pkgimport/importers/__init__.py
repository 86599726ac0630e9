"""Importers: turn outside packages (PyPI wheels, Scoop manifests) into package definitions."""
