"""Runs one micro:bit program, unmodified, as one emulated device.

    python3 device.py PROGRAM --name NAME --boot N --seed S --link FD [--serial FD]

The emulated modules (emu/) come first on sys.path, so the program's `from microbit
import ...`, `import radio`, `import machine` and `import random` find them. The working
directory is the device's own folder: its flash file system, kept across resets.
Started by harness.py, which holds the other end of the link socket.
"""

import os
import sys

EMU = os.path.join(os.path.dirname(os.path.abspath(__file__)), "emu")
sys.path.insert(0, EMU)
# The program's `random` is the emulated one, never the standard library's.
sys.modules.pop("random", None)

import argparse  # noqa: E402
import runpy  # noqa: E402
import socket  # noqa: E402
import traceback  # noqa: E402

import _emu  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("program")
    parser.add_argument("--name", required=True)
    parser.add_argument("--boot", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--link", type=int, required=True)
    parser.add_argument("--serial", type=int)
    args = parser.parse_args()

    link = socket.socket(fileno=args.link)
    _emu.setup(args.name, args.boot, args.seed, link)
    import microbit
    import random

    assert random.__file__.startswith(EMU), random.__file__
    if args.serial is not None:
        microbit.uart._attach(_emu.SerialPort(args.serial))

    program = os.path.abspath(args.program)
    sys.path.remove(os.path.dirname(os.path.abspath(__file__)))
    _emu.report("booted", program=os.path.basename(program), boot=args.boot)
    sys.argv = [program]
    try:
        runpy.run_path(program, run_name="__main__")
        _emu.report("ended")
    except BaseException:
        # On a micro:bit the error would scroll across the display and the program stop.
        _emu.report("crash", error=traceback.format_exc())
        raise
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
