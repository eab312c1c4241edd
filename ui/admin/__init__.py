"""系统设置: staff accounts, audit trail, parameters, communities, backups."""
