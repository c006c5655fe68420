"""Emulated `random` module (MicroPython for the BBC micro:bit).

On the device the generator is seeded from the hardware at every start; here it is
seeded from the harness's seed, the device's name and how often it has started, so a
run can be repeated exactly.
"""

import hashlib

import _emu

_state = [1]


def seed(n=None):
    if n is None:
        text = "{}|{}|{}".format(_emu.SEED, _emu.NAME, _emu.BOOT)
        n = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")
    _state[0] = (n & 0xFFFFFFFF) or 1


def _next32():
    # xorshift32
    x = _state[0]
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    _state[0] = x
    return x


def getrandbits(n):
    if not 0 < n <= 32:
        raise ValueError("bits must be 32 or less")
    return _next32() >> (32 - n)


def randrange(start, stop=None, step=1):
    if stop is None:
        start, stop = 0, start
    width = stop - start
    if step != 1:
        count = (width + step - 1) // step
        if count <= 0:
            raise ValueError("empty range for randrange()")
        return start + step * (_next32() % count)
    if width <= 0:
        raise ValueError("empty range for randrange()")
    return start + _next32() % width


def randint(a, b):
    return randrange(a, b + 1)


def choice(sequence):
    if not sequence:
        raise IndexError("can't choose from an empty sequence")
    return sequence[randrange(len(sequence))]


def random():
    return _next32() / 4294967296.0


def uniform(a, b):
    return a + (b - a) * random()


seed()
