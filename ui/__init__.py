"""The desktop interface (PySide6 only here): composition root, windows, views, dialogs, models."""
