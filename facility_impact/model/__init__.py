"""The model core: parameter Dataset from a configuration, and the day-by-day kernel.

``parameters`` builds the parameter Dataset; ``inputs`` declares what the
kernel reads of it; ``steps`` holds each step of a day as a pure function;
``block`` runs them for a block of ensemble points; ``kernel`` runs the
blocks day by day; ``outputs`` labels the kernel's arrays as the result
Dataset, by the variable registry. Pure functions over numpy and xarray: no
file I/O, no printing, no plotting.
"""
