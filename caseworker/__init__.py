"""Caseworker (街道民政工作台): the headless application core. Never imports PySide6 or ui."""

__version__ = "0.1.0"
