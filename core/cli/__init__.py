"""The roomdesk command line."""
