"""JWT Pizza chaos harness: a mock Headquarters factory, a reference pizza service, and the tools
that replay a factory incident against them."""

__version__ = "0.1.0"
