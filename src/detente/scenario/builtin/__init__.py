"""Scenarios shipped with detente, as data files."""
