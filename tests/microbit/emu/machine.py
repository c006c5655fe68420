"""Emulated `machine` module (MicroPython for the BBC micro:bit): the device's unique id
(8 bytes, derived from the emulated device's name, so it survives a reset) and reset."""

import hashlib

import _emu


def unique_id():
    return hashlib.sha256(("microbit:" + _emu.NAME).encode()).digest()[:8]


def reset():
    _emu.report("reset")
    _emu.block(3600)


def freq():
    return 16000000
