"""Pure domain rules for the web service: no Django import, unit-testable without a database."""
