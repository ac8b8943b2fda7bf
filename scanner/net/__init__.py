"""The network layer: the only room that opens sockets.

tcp (connection slots, scope check, bounded reads), connector (the batched non-blocking
connect loop the port sweep uses), pacer (the global and per-host rate every packet waits on).
"""
