"""The model core: parameter Dataset from a configuration, and the day-by-day kernel.

Pure functions over numpy and xarray: no file I/O, no printing, no plotting.
"""
