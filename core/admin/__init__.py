"""Running the organisation: activation, demo data, first start, key rotation."""
