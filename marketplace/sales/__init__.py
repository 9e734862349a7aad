"""Sales a provider records: in a conversation or on the dashboard; the sales list, status moves, invoices."""
