"""Use cases. Each takes a Session and the acting user, does one thing a person would name, and
returns plain frozen dataclasses, never live ORM objects."""
