"""The demo app's management commands (`raccordo demo`, `raccordo bootstrap`) and what they print."""
