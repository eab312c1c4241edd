"""The programmes' after-merge hooks, registered with the sync layer once (the one list of them:
a programme with derived columns a merge must refresh adds its hook here)."""

from caseworker.services.elderly.after_merge import ScheduleAfterMerge
from caseworker.sync import derived

derived.register(ScheduleAfterMerge)
