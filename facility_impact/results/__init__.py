"""From result Datasets to headline indicators: summaries and humanitarian standards."""
