"""The core of the micro:bit emulation, shared by the emulated modules of one device.

A device runs in a process of its own (`device.py`), linked to the harness by a socket
that carries one JSON object a line: the harness delivers radio messages and button
presses, the device reports what it sends by radio, what its display shows, and its
USB serial traffic. Time is real time: `sleep(ms)` sleeps, a blocking display call
blocks as long as on the device.

Only stdlib. Nothing here is visible to the programs: they import `microbit`, `radio`,
`machine` and `random`, which use this module.
"""

import collections
import json
import os
import select
import threading
import time

NAME = "?"
BOOT = 0
SEED = 0

lock = threading.RLock()
_sock = None
_send_lock = threading.Lock()
_t0 = time.monotonic()
_handlers = {}

# Intervals (start, end), in time.monotonic() seconds, in which the program chose to
# block: sleep(), a blocking display animation, writing to the serial port. Bytes that
# reach the serial port's receive buffer meanwhile pile up; at other times the program
# is taken to read in time. Host scheduling delays are therefore never charged to the
# program: an interval ends when the program asked it to, however late the host wakes
# the process up.
_blocked = []


def setup(name, boot, seed, sock):
    global NAME, BOOT, SEED, _sock
    NAME, BOOT, SEED, _sock = name, boot, seed, sock
    threading.Thread(target=_reader, daemon=True).start()


def now():
    return time.monotonic()


def running_time():
    return int((now() - _t0) * 1000)


def report(kind, **fields):
    fields["t"] = kind
    fields["ms"] = running_time()
    data = (json.dumps(fields) + "\n").encode()
    with _send_lock:
        try:
            _sock.sendall(data)
        except OSError:
            os._exit(0)


def on(kind, handler):
    """Calls handler(message) for every message of this kind from the harness."""
    _handlers[kind] = handler


def _reader():
    pending = b""
    while True:
        try:
            data = _sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            # The harness is gone: so is the device.
            os._exit(0)
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            message = json.loads(line)
            handler = _handlers.get(message["t"])
            if handler is not None:
                handler(message)


def block(seconds):
    """The program blocks for `seconds` (sleep, a blocking animation, a serial write)."""
    start = now()
    with lock:
        _blocked.append((start, start + seconds))
    if seconds > 0:
        time.sleep(seconds)


def _was_blocked(at):
    for start, end in _blocked:
        if start <= at < end:
            return True
    return False


# The USB serial port of a micro:bit (its interface chip's UART at 115200 baud), on the
# master side of a pseudo-terminal whose other side the server opens.
BYTE_TIME = 10.0 / 115200  # start bit, 8 data bits, stop bit
RX_BUFFER = 64  # micro:bit V1: MicroPython's UART receive buffer


class SerialPort:
    def __init__(self, fd):
        self.fd = fd
        self.arrivals = collections.deque()  # (time, byte): when each byte arrives
        self.last_arrival = 0.0
        self.buffer = collections.deque()  # (byte, arrived while blocked), unread
        self.blocked_in_buffer = 0
        self.dropped = 0
        threading.Thread(target=self._read, daemon=True).start()

    def port_open(self):
        """Whether a program on the laptop has the port open (the pty's other side)."""
        poll = select.poll()
        poll.register(self.fd, select.POLLIN)
        for _, events in poll.poll(0):
            if events & select.POLLHUP:
                return False
        return True

    def _read(self):
        line = b""
        while True:
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                data = b""
            if not data:
                # Nobody has the port open (EIO on a pty master): wait for the next one.
                time.sleep(0.02)
                continue
            with lock:
                at = now()
                for byte in data:
                    # Bytes come one after the other at the baud rate.
                    self.last_arrival = max(at, self.last_arrival + BYTE_TIME)
                    self.arrivals.append((self.last_arrival, byte))
            line += data
            while b"\n" in line:
                text, line = line.split(b"\n", 1)
                report("serial_in", line=text.decode("utf-8", "replace"))

    def _settle(self):
        """Moves the bytes that have arrived by now into the receive buffer; what does
        not fit while the program is blocked is lost, as on the device."""
        dropped = 0
        with lock:
            t = now()
            while self.arrivals and self.arrivals[0][0] <= t:
                at, byte = self.arrivals.popleft()
                blocked = _was_blocked(at)
                if blocked and self.blocked_in_buffer >= RX_BUFFER:
                    dropped += 1
                    continue
                self.buffer.append((byte, blocked))
                if blocked:
                    self.blocked_in_buffer += 1
            horizon = self.arrivals[0][0] if self.arrivals else t
            _blocked[:] = [(s, e) for (s, e) in _blocked if e > horizon]
            self.dropped += dropped
        if dropped:
            report("serial_overflow", bytes=dropped)

    def any(self):
        self._settle()
        with lock:
            return len(self.buffer) > 0

    def read(self, n=None):
        self._settle()
        with lock:
            if not self.buffer:
                return None
            if n is None or n > len(self.buffer):
                n = len(self.buffer)
            out = bytearray()
            for _ in range(n):
                byte, blocked = self.buffer.popleft()
                if blocked:
                    self.blocked_in_buffer -= 1
                out.append(byte)
            return bytes(out)

    def readline(self):
        self._settle()
        with lock:
            data = bytes(byte for byte, _ in self.buffer)
            end = data.find(b"\n")
            if end < 0:
                return None
        return self.read(end + 1)

    def write(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = bytes(data)
        if self.port_open():
            try:
                os.write(self.fd, data)
                dropped = False
            except OSError:
                dropped = True
        else:
            # The interface chip drops what nobody on the laptop reads (a pty would
            # keep it for the next program that opens the port).
            dropped = True
        report("serial_out", text=data.decode("utf-8", "replace"), dropped=dropped)
        # Writing blocks while the bytes go out at the baud rate.
        block(len(data) * BYTE_TIME)
        return len(data)
