"""Pages of the escalation engine: inbox, plans, dispatch, tracking, jobs."""
