"""Demo data: real territories, every stage of the lifecycle, one user per role (nothing imports it)."""
