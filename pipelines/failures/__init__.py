"""How a run fails: our error classes, dlt's wrapped errors unwrapped, one-line messages."""
