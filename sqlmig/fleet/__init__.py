"""Fleets: one migration set run across many databases or tenant schemas (`--targets`)."""
