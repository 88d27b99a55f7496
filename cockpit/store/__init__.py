"""The local store: SQLModel tables on a SQLite file, its engine, and its migrations."""
