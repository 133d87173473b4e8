"""Views of the web interface, one module per domain; each view parses, calls a selector or service, renders."""
