"""The templates Raccordo ships, one DOCX per kind of document and language (`<kind>.<language>.docx`).

They are made by `build.py` (`python -m raccordo.documents.shipped.build`), so their text is reviewable here and
a change is one command; administrators download them from the templates page as a starting point for their own.
"""
