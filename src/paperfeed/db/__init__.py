"""The store: engine, schema and one module of queries per entity. The only code that writes SQL."""
