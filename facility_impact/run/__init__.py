"""Running the model: the workflow the command line and the Python API share,
chunked and cluster runs, sensitivity, and writing files."""
