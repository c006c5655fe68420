"""Emulated `microbit` module (MicroPython for the BBC micro:bit): the parts the pejling
programs use and a little more -- display (with the blocking time of show and scroll),
Image, buttons A and B, running_time, sleep, uart (the USB serial port).

What the display shows and what the program writes to the serial port is reported to
the harness; button presses come from it.
"""

import threading

import _emu

__all__ = [
    "Image",
    "display",
    "button_a",
    "button_b",
    "uart",
    "running_time",
    "sleep",
    "reset",
    "panic",
    "temperature",
]


def running_time():
    return _emu.running_time()


def sleep(ms):
    _emu.block(max(0, ms) / 1000.0)


def reset():
    _emu.report("reset")
    _emu.block(3600)


def panic(n=0):
    _emu.report("crash", error="panic({})".format(n))
    _emu.block(3600)


def temperature():
    return 21


class Image:
    """An image; the built-in ones know their name, which is what the harness sees."""

    def __init__(self, *args):
        self._name = None
        if len(args) == 1 and isinstance(args[0], str):
            rows = [r for r in args[0].replace("\n", ":").split(":") if r]
            self._rows = [[int(c) for c in row] for row in rows]
        elif len(args) >= 2:
            width, height = args[0], args[1]
            self._rows = [[0] * width for _ in range(height)]
        else:
            self._rows = [[0] * 5 for _ in range(5)]

    def width(self):
        return len(self._rows[0]) if self._rows else 0

    def height(self):
        return len(self._rows)

    def get_pixel(self, x, y):
        return self._rows[y][x]

    def set_pixel(self, x, y, value):
        if self._name is not None:
            raise TypeError("image cannot be modified (try copying first)")
        self._rows[y][x] = value

    def copy(self):
        image = Image()
        image._rows = [list(row) for row in self._rows]
        return image

    def __eq__(self, other):
        return isinstance(other, Image) and self._rows == other._rows

    def __hash__(self):
        return hash(str(self._rows))

    def __repr__(self):
        if self._name:
            return "Image." + self._name
        return "Image('{}')".format(":".join("".join(str(v) for v in r) for r in self._rows))


_PICTURES = {
    "HEART": "09090:99999:99999:09990:00900",
    "HEART_SMALL": "00000:09090:09990:00900:00000",
    "HAPPY": "00000:09090:00000:90009:09990",
    "SMILE": "00000:00000:00000:90009:09990",
    "SAD": "00000:09090:00000:09990:90009",
    "CONFUSED": "00000:09090:00000:09090:90909",
    "ANGRY": "90009:09090:00000:99999:90909",
    "ASLEEP": "00000:99099:00000:09990:00000",
    "SURPRISED": "09090:00000:00900:09090:00900",
    "SILLY": "90009:00000:99999:00909:00999",
    "FABULOUS": "99999:99099:00000:09090:09990",
    "MEH": "09090:00000:00090:00900:09000",
    "YES": "00000:00009:00090:90900:09000",
    "NO": "90009:09090:00900:09090:90009",
    "ARROW_N": "00900:09990:90909:00900:00900",
    "ARROW_NE": "00999:00099:00909:09000:90000",
    "ARROW_E": "00900:00090:99999:00090:00900",
    "ARROW_SE": "90000:09000:00909:00099:00999",
    "ARROW_S": "00900:00900:90909:09990:00900",
    "ARROW_SW": "00009:00090:90900:99000:99900",
    "ARROW_W": "00900:09000:99999:09000:00900",
    "ARROW_NW": "99900:99000:90900:00090:00009",
    "TRIANGLE": "00000:00900:09090:99999:00000",
    "TRIANGLE_LEFT": "90000:99000:90900:90090:99999",
    "CHESSBOARD": "09090:90909:09090:90909:09090",
    "DIAMOND": "00900:09090:90009:09090:00900",
    "DIAMOND_SMALL": "00000:00900:09090:00900:00000",
    "SQUARE": "99999:90009:90009:90009:99999",
    "SQUARE_SMALL": "00000:09990:09090:09990:00000",
    "TARGET": "00900:09990:99099:09990:00900",
    "TSHIRT": "99099:99999:09990:09990:09990",
    "SKULL": "09990:90909:99999:09990:09990",
    "UMBRELLA": "09990:99999:00900:90900:09900",
    "SNAKE": "99000:99099:09090:09990:00000",
    "PACMAN": "09999:99090:99900:99990:09999",
    "GHOST": "99999:90909:99999:99999:90909",
    "SWORD": "00900:00900:00900:09990:00900",
    "GIRAFFE": "99000:09000:09000:09990:09090",
    "RABBIT": "90900:90900:99990:99090:99990",
    "COW": "90009:90009:99999:09990:00900",
    "DUCK": "09900:99900:09999:09990:00000",
    "HOUSE": "00900:09990:99999:09990:09090",
    "TORTOISE": "00000:09990:99999:09090:00000",
    "BUTTERFLY": "99099:99999:00900:99999:99099",
    "STICKFIGURE": "00900:99999:00900:09090:90009",
    "XMAS": "00900:09990:00900:09990:99999",
    "PITCHFORK": "90909:90909:99999:00900:00900",
    "MUSIC_CROTCHET": "00900:00900:00900:99900:99900",
    "MUSIC_QUAVER": "00900:00990:00909:99900:99900",
    "MUSIC_QUAVERS": "09999:09009:09009:99099:99099",
    "SCISSORS": "99009:99090:00900:99090:99009",
}
for _name, _picture in _PICTURES.items():
    _image = Image(_picture)
    _image._name = _name
    setattr(Image, _name, _image)
Image.ALL_ARROWS = [
    getattr(Image, "ARROW_" + d) for d in ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
]
Image.ALL_CLOCKS = [Image.TARGET] * 12


def _seen(value):
    """What the harness is told the display shows."""
    if isinstance(value, Image):
        return {"image": value._name or repr(value)}
    return {"text": str(value)}


class _Display:
    def __init__(self):
        self._on = True

    def show(self, value, delay=400, wait=True, loop=False, clear=False):
        if isinstance(value, Image):
            _emu.report("display", how="show", **_seen(value))
            return
        if isinstance(value, (int, float)):
            value = str(value)
        if isinstance(value, str):
            if len(value) == 0:
                _emu.report("display", how="clear", text="")
                return
            # A single character is shown at once, like an image; a longer text is
            # shown a character at a time, `delay` ms each.
            _emu.report("display", how="show", text=value)
            if len(value) > 1 and wait:
                frames = len(value)
                while True:
                    _emu.block(frames * delay / 1000.0)
                    if not loop:
                        break
            return
        # Any other iterable: a sequence of images or characters.
        frames = list(value)
        _emu.report("display", how="animate", text=" ".join(repr(f) for f in frames))
        if wait:
            while True:
                _emu.block(len(frames) * delay / 1000.0)
                if not loop:
                    break

    def scroll(self, text, delay=150, wait=True, loop=False, monospace=False):
        text = str(text)
        _emu.report("display", how="scroll", text=text)
        if wait:
            # Each character is about five columns and a gap; the text comes in from the
            # right edge and leaves at the left.
            columns = 5 + 6 * len(text)
            while True:
                _emu.block(columns * delay / 1000.0)
                if not loop:
                    break

    def clear(self):
        _emu.report("display", how="clear", text="")

    def set_pixel(self, x, y, value):
        _emu.report("display", how="pixel", text="{},{}={}".format(x, y, value))

    def get_pixel(self, x, y):
        return 0

    def on(self):
        self._on = True

    def off(self):
        self._on = False

    def is_on(self):
        return self._on

    def read_light_level(self):
        return 100


display = _Display()


class _Button:
    def __init__(self, name):
        self._name = name
        self._lock = threading.Lock()
        self._latched = False
        self._presses = 0
        self._down_until = 0.0

    def _press(self):
        with self._lock:
            self._latched = True
            self._presses += 1
            self._down_until = _emu.now() + 0.1

    def was_pressed(self):
        with self._lock:
            pressed = self._latched
            self._latched = False
            return pressed

    def get_presses(self):
        with self._lock:
            presses = self._presses
            self._presses = 0
            return presses

    def is_pressed(self):
        return _emu.now() < self._down_until


button_a = _Button("a")
button_b = _Button("b")


def _on_press(message):
    (button_a if message["button"] == "a" else button_b)._press()


_emu.on("press", _on_press)


class _Uart:
    ODD = 1
    EVEN = 0

    def __init__(self):
        self._port = None

    def _attach(self, port):
        self._port = port

    def init(self, baudrate=9600, bits=8, parity=None, stop=1, pins=None, tx=None, rx=None):
        if baudrate != 115200:
            _emu.report("note", text="uart.init(baudrate={}): the server speaks 115200".format(baudrate))

    def _require(self):
        if self._port is None:
            raise OSError("no serial port in this emulation (only the receiver has one)")
        return self._port

    def any(self):
        return self._require().any()

    def read(self, nbytes=None):
        return self._require().read(nbytes)

    def readline(self):
        return self._require().readline()

    def readinto(self, buf, nbytes=None):
        data = self._require().read(nbytes if nbytes is not None else len(buf))
        if not data:
            return None
        buf[: len(data)] = data
        return len(data)

    def write(self, buf):
        return self._require().write(buf)


uart = _Uart()
