"""The measuring kernel: workloads, models, timing. Standard library only.

Run as ``python -m showdown.kernel``; see ``__main__`` for the commands.
"""
