"""Every answer kept on disk (SQLite in the data folder), with its audit, grouped by session."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from copilot.types import Answer

_SCHEMA = """CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, created_at TEXT NOT NULL, question TEXT NOT NULL,
    answer_json TEXT NOT NULL)"""


class History:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self):
        return sqlite3.connect(self.path, timeout=10)

    def save(self, answer: Answer) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                       (answer.id, answer.session_id or "default", answer.created_at, answer.question,
                        answer.model_dump_json()))

    def answers(self, session_id: str | None = None) -> list[Answer]:
        with self._connect() as db:
            if session_id:
                rows = db.execute("SELECT answer_json FROM answers WHERE session_id = ? ORDER BY created_at, rowid",
                                  (session_id,)).fetchall()
            else:
                rows = db.execute("SELECT answer_json FROM answers ORDER BY created_at, rowid").fetchall()
        return [Answer.model_validate_json(r[0]) for r in rows]

    def sessions(self) -> list[tuple[str, int, str]]:
        with self._connect() as db:
            return db.execute("SELECT session_id, COUNT(*), MAX(created_at) FROM answers GROUP BY session_id "
                              "ORDER BY MAX(created_at) DESC").fetchall()

    def titles(self) -> dict[str, str]:
        """Each session's first question, as its title."""
        with self._connect() as db:
            rows = db.execute("SELECT session_id, question FROM answers ORDER BY created_at DESC, rowid DESC").fetchall()
        return {sid: question for sid, question in rows}  # the earliest question is written last

    def latest_session(self) -> str | None:
        rows = self.sessions()
        return rows[0][0] if rows else None
