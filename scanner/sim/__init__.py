"""The simulated camera LAN used by `camscan demo` and the tests (see lab.py)."""
