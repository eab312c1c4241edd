"""Programme 1 use cases (elderly home visits), one module per concern.

- `roster`: register, update, tier, status, detail of an elderly resident.
- `search`: the roster list: filter, sort, count and page in SQL.
- `visits`: draft, complete, amend visits; referrals.
- `schedule`: next due dates, work lists, the month's visit rate.
- `forms`: the data printed on visit forms and route sheets.
"""
