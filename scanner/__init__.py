"""camscan: find the IP cameras, NVRs and DVRs on a network and name who really made each one."""

__version__ = "0.1.0"
