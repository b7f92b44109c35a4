"""Presentation: figures, terminal tables and the HTML report, read from result Datasets."""
