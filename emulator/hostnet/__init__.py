"""The host bridge: a node on the virtual switch that lets the host reach the guests,
like QEMU's user-mode networking (slirp). Device-side code: it speaks Ethernet frames
through a NIC and knows nothing of the kernel.

packets.py: wire formats; tcpstate.py and tcp.py: one TCP connection's state machine;
stack.py: an IPv4 endpoint (ARP, ICMP echo, UDP, TCP) on a switch port; bridge.py: the
forwards between host sockets on 127.0.0.1 and guest ports.
"""
