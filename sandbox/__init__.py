"""A local, faithful stand-in of TeamUp's reports API, for the demo and the tests."""

from .server import DEFAULT_TOKEN, Sandbox

__all__ = ["DEFAULT_TOKEN", "Sandbox"]
