"""Readers and writers of scenario files: native YAML/JSON, GENIUS XML, GeniusWeb JSON."""
