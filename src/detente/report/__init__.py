"""Self-contained, offline HTML reports (plots inlined, no CDN)."""
