"""GoTo meetings of appointments: the job queue, invitations, starting, reconciling, e-mail."""
