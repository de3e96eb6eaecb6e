"""Who may do what: sign-in, single sign-on, roles, the GoTo add-on rights and the one policy."""
