"""Helpers with no domain in them, for every app: `common` imports no app of CourtFlow."""
