"""Pages of reports: overview, division figures, bulletins and their downloads."""
