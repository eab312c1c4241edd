"""Pure rules and vocabulary of the domain: standard library only, no database, no Qt."""
