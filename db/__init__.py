"""The database layer: SQLAlchemy schema, engine with SQLite pragmas, journal capture, migrations,
backups. Imports only `caseworker.domain` from the application."""
