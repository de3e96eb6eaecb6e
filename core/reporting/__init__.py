"""Read-only views: timeline, utilisation and the audit log."""
