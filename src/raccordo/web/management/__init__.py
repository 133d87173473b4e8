"""The web app's management commands (`raccordo serve`)."""
