"""Local drafts: what a person typed and the database has not stored yet, one small file per draft.

Written synchronously on every change (the handoff editor, the entry line), so a quit, a crash or a
``kill -9`` between a keystroke and the database write loses nothing; the next start offers it back. A draft
is cleared once the database holds the same text. Drafts of different database files never mix.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


class Drafts:
    def __init__(self, folder: Path, database: Path) -> None:
        self.folder = folder
        self.prefix = hashlib.sha256(str(database.resolve()).encode()).hexdigest()[:12]

    def _path(self, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in key)[:80]
        return self.folder / f"{self.prefix}-{safe}.json"

    def write(self, key: str, data: dict[str, Any]) -> bool:
        """Keep ``data`` under ``key`` (atomically: a reader sees the old draft or the new one, never half).
        Returns False when the folder cannot be written (the database write still happens)."""
        tmp = ""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".draft-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False)
            os.replace(tmp, self._path(key))
            return True
        except OSError:
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            return False

    def read(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # a damaged draft is no draft
            return None
        return data if isinstance(data, dict) else None

    def clear(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._path(key).unlink()
