"""统计报表 section: the report on screen with charts, and its PDF/Excel exports."""
