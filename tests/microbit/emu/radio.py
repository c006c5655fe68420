"""Emulated `radio` module (MicroPython for the BBC micro:bit).

Sent messages go to the harness, which plays the air (with seeded loss) and delivers
them to the other devices. Received messages wait in a queue of `queue` entries; more
are dropped, as on the device. Like MicroPython, `send()` puts a 3-byte header before
the text, and that header counts against `length`.
"""

import collections
import threading

import _emu

RATE_250KBIT = 0
RATE_1MBIT = 1
RATE_2MBIT = 2

_DEFAULTS = {
    "length": 32,
    "queue": 3,
    "channel": 7,
    "power": 6,
    "address": 0x75626974,
    "group": 0,
    "data_rate": RATE_1MBIT,
}
_HEADER = 3

_lock = threading.Lock()
_config = dict(_DEFAULTS)
_on = False
_queue = collections.deque()


def config(**settings):
    for key, value in settings.items():
        if key not in _DEFAULTS:
            raise ValueError("unknown argument '{}'".format(key))
        _config[key] = value
    if not 1 <= _config["length"] <= 251:
        raise ValueError("value out of range for argument 'length'")
    if not 0 <= _config["group"] <= 255:
        raise ValueError("value out of range for argument 'group'")


def reset():
    with _lock:
        _config.clear()
        _config.update(_DEFAULTS)


def on():
    global _on
    _on = True


def off():
    global _on
    _on = False
    with _lock:
        _queue.clear()


def _require_on():
    if not _on:
        raise ValueError("radio is not enabled")


def send_bytes(message):
    _require_on()
    message = bytes(message)
    if len(message) > _config["length"]:
        # MicroPython would cut the message; a cut message is a bug in a program.
        _emu.report("radio_too_long", text=message.decode("utf-8", "replace"))
        message = message[: _config["length"]]
    _emu.report(
        "radio",
        data=message.hex(),
        group=_config["group"],
        channel=_config["channel"],
        address=_config["address"],
    )


def send(message):
    send_bytes(b"\x01\x00\x01" + str(message).encode("utf-8"))


def receive_bytes():
    _require_on()
    with _lock:
        if not _queue:
            return None
        return _queue.popleft()


def receive():
    data = receive_bytes()
    if data is None:
        return None
    if not data.startswith(b"\x01\x00\x01"):
        raise ValueError("received packet is not a string")
    return data[_HEADER:].decode("utf-8")


def receive_full():
    data = receive_bytes()
    if data is None:
        return None
    return (data, -50, _emu.running_time() * 1000)


def _deliver(message):
    if not _on:
        return
    if (message["group"], message["channel"], message["address"]) != (
        _config["group"],
        _config["channel"],
        _config["address"],
    ):
        return
    with _lock:
        if len(_queue) >= _config["queue"]:
            dropped = True
        else:
            _queue.append(bytes.fromhex(message["data"]))
            dropped = False
    if dropped:
        _emu.report("radio_queue_full")


_emu.on("radio", _deliver)
