"""Programme 3 use cases (children in difficulty, child protection), one module per concern.

- `keys`: the office's child-data key, narrative fields encrypted at rest, grants.
- `register`: children, guardians, conditions with evidence, categories, the child's page.
- `search`: the register list (masked), filtered, counted and paged in SQL within the scope.
- `cases`: report → verify → assess → plan (services) → visits → close / reopen.
- `worklists`: what waits (urgent first), figures (counts for every role), the view log.
- `forms`: the data printed on the child's file, visit forms and case summaries.

Confidentiality is enforced here, below the UI: only child-protection roles read or write, a
child director only in their own community, through a scoped query (`_common.scope`) rather than
a filter after loading. Other roles get counts only (`worklists.figures`).
"""
