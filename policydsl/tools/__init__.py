"""What the command line runs on top of the library: the per-file check, in-file tests and
JSON Lines batches."""
