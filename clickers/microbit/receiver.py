# pejling receiver: the micro:bit plugged into the facilitator's laptop.
#
# It passes lines between the laptop (USB serial, 115200 baud, bridge protocol PJ1 -- see
# docs/protocol.md) and the pupils' voter micro:bits (radio). Flash it with the
# micro:bit Python Editor (python.microbit.org) or `uflash receiver.py`, then start the
# server with `pejling serve --clicker serial`. It can be plugged in before or after the
# server starts, and survives a restart of the server:
#
# - It says HELLO every second until the server answers (the laptop drops what the
#   micro:bit writes while no program has the port open), and again when the server no
#   longer knows it: after `ERR HELLO`, or when the server's PING count starts again
#   (a new connection: the server restarted or reopened the port).
# - It never blocks: the serial port's receive buffer holds only 64 bytes (about 5 ms of
#   data), so a blocking display animation would lose acknowledgements. The question
#   number scrolls in the background, and the serial port is read between relayed
#   votes too.
#
# Display: the open question's number (scrolling when it has two digits), or a sleeping
# face while no question is open.
#
# Radio messages (at most 61 characters: radio length 64 less MicroPython's 3-byte header):
#   receiver -> voters   "O <q> <kind> <a> <b> <c> <abstain>"   a question is open
#                        "C"                                     nothing is open
#                        "A <device> <seq> <status>"             acknowledgement
#   voters -> receiver   "V <device> <seq> <q> <answer>"         a vote
from microbit import display, Image, uart, running_time, sleep
import radio

# Change GROUP (0-255) in BOTH programs so neighbouring classrooms do not mix.
GROUP = 7
HELLO = "PJ1 HELLO mb receiver"

radio.config(group=GROUP, length=64, queue=20, power=7)
radio.on()
uart.init(baudrate=115200)

announce = "C"          # the last OPEN/CLOSED, repeated so late voters learn it
last_announce = 0
pending = b""
welcomed = False        # the server knows us (it answered HELLO)
last_hello = 0
last_ping = 0


def send_line(text):
    uart.write(text + "\n")


def hello():
    global last_hello
    send_line(HELLO)
    last_hello = running_time()


def show_number(text):
    # Never a blocking animation (see the top).
    if len(text) == 1:
        display.show(text)
    else:
        display.scroll(text, delay=150, wait=False, loop=True)


def from_laptop(line):
    global announce, welcomed, last_ping
    words = line.split()
    if len(words) < 2 or words[0] != "PJ1":
        return
    command = words[1]
    if command in ("WELCOME", "OPEN", "CLOSED", "ACK"):
        # The server sends these only to a bridge that said HELLO.
        welcomed = True
    if command == "OPEN" and len(words) >= 5:
        # PJ1 OPEN <q> CHOICE <n> <abstain> | OPEN <q> PERCENT <min> <max> <step> <abstain>
        kind = words[3][0]  # C(hoice), S(cale), P(ercent), N(umber)
        rest = words[4:]
        if kind in "CS":
            rest = [rest[0], "0", "0", rest[1]]
        announce = "O " + words[2] + " " + kind + " " + " ".join(rest)
        radio.send(announce)
        show_number(words[2])
    elif command == "CLOSED":
        announce = "C"
        radio.send(announce)
        display.show(Image.ASLEEP)
    elif command == "ACK" and len(words) == 5:
        radio.send("A " + words[2] + " " + words[3] + " " + words[4])
    elif command == "ERR" and len(words) >= 3 and words[2] == "HELLO":
        # A vote reached a server that does not know us: it restarted.
        welcomed = False
        if running_time() - last_hello > 300:
            hello()
    elif command == "PING" and len(words) == 3:
        n = int(words[2])
        if n <= last_ping:
            # The count starts again on every connection: a new server is listening.
            welcomed = False
            hello()
        last_ping = n
        send_line("PJ1 PONG " + words[2])


def read_laptop():
    global pending
    data = uart.read()
    if not data:
        return
    pending += data
    while b"\n" in pending:
        line, pending = pending.split(b"\n", 1)
        try:
            from_laptop(str(line, "utf-8").strip())
        except Exception:
            pass
    if len(pending) > 200:
        pending = b""


def from_radio():
    try:
        return radio.receive()
    except Exception:  # not text: another program in our group
        return None


display.show(Image.ASLEEP)
hello()
while True:
    read_laptop()
    message = from_radio()
    while message:
        words = message.split()
        if len(words) == 5 and words[0] == "V":
            send_line("PJ1 VOTE " + " ".join(words[1:]))
        # Acknowledgements come back while we relay: read them before the buffer fills.
        read_laptop()
        message = from_radio()
    now = running_time()
    if not welcomed and now - last_hello > 1000:
        hello()
    if now - last_announce > 2000:
        radio.send(announce)
        last_announce = now
    sleep(1)
