"""Regulation parameter data (TOML). A package only so that installers ship the files."""
