"""数据同步: exchanging bundle files with the district on a USB stick."""
