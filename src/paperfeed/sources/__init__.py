"""Source adapters. Each module has two pure halves: build_request() and parse()."""
