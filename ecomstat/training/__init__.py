"""Training scripts that need the sample web or several components (run by hand, never in
production): `python -m ecomstat.training.matcher`."""
