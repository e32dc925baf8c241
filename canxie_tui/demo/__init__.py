"""The deterministic demo database: a community, street or district of made-up people."""
