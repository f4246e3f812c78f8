"""A user's package for the tests: showdown knows it only from a test config's `path`."""
