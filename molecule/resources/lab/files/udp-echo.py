# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny UDP responder for the lab's real servers: answers every datagram with the host name.

  python3 udp-echo.py PORT

Direct routing delivers datagrams addressed to the VIP (held on lo): the answer must leave
from the address the datagram was sent to, so the destination address is read with
IP_PKTINFO and given back as the source of the answer.
"""

import socket
import struct
import sys

IP_PKTINFO = getattr(socket, 'IP_PKTINFO', 8)


def main(port):
    name = socket.gethostname().split('.')[0].encode()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    sock.bind(('0.0.0.0', port))
    while True:
        data, ancillary, _flags, peer = sock.recvmsg(2048, socket.CMSG_SPACE(12))
        spec = [item for item in ancillary if item[0] == socket.IPPROTO_IP and item[1] == IP_PKTINFO]
        cmsg = []
        if spec:
            _ifindex, _spec_dst, destination = struct.unpack('=I4s4s', spec[0][2][:12])
            cmsg = [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack('=I4s4s', 0, destination, b'\0\0\0\0'))]
        sock.sendmsg([name + b'\n'], cmsg, 0, peer)


if __name__ == '__main__':
    main(int(sys.argv[1]))
