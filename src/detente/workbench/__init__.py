"""The analyst's workbench: services behind the scenario editor and its live analysis.

Services take the signed-in user and check its role here, and only here; the web layer's
pages and API both stand on them.
"""
