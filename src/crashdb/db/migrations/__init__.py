"""crashdb's Alembic migrations (``versions``) and the database objects each revision ships
(``sql/<revision>/<dialect>.sql``, rendered by :mod:`crashdb.db.folds`)."""

from __future__ import annotations

import re
from importlib import resources

__all__ = ["revision_statements"]


def revision_statements(revision: str, dialect: str) -> list[str]:
    """The statements of ``sql/<revision>/<dialect>.sql`` (separated by blank lines)."""
    path = resources.files(__name__) / "sql" / revision / f"{dialect}.sql"
    out = []
    for block in re.split(r"\n\s*\n", path.read_text()):
        stmt = "\n".join(ln for ln in block.splitlines() if not ln.startswith("--")).strip()
        if stmt:
            out.append(stmt[:-1] if stmt.endswith(";") else stmt)
    return out
