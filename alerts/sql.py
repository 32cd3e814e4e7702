"""The set-based SQL helpers live in `cases.sql` (the register's bulk services use them too);
the escalation engine and the reports import them from here as before."""

from cases.sql import analyze, insert_select, refresh_statistics, without_jit

__all__ = ["analyze", "insert_select", "refresh_statistics", "without_jit"]
