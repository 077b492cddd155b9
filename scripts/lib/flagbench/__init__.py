"""flagbench's Python helpers: matrix and axes files, the sweep's steps, statistics.

Standard library only.  Each module has one job; scripts/sweep.sh drives them
through flagbench.sweep.
"""
