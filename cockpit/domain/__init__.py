"""The incident core: the rules of the seed documents, pure Python, no I/O.

Nothing in this package may import a UI, database, HTTP or configuration library;
import-linter enforces it (see ``pyproject.toml``).
"""
