# pejling receiver: the micro:bit plugged into the facilitator's laptop.
#
# It passes lines between the laptop (USB serial, 115200 baud, bridge protocol PJ1 -- see
# docs/protocol.md) and the pupils' voter micro:bits (radio). Flash it with the
# micro:bit Python Editor (python.microbit.org) or `uflash receiver.py`, then start the
# server with `pejling serve --clicker serial`.
#
# Radio messages (short, to fit MicroPython's default 32-byte packets):
#   receiver -> voters   "O <q> <kind> <a> <b> <c> <abstain>"   a question is open
#                        "C"                                     nothing is open
#                        "A <device> <seq> <status>"             acknowledgement
#   voters -> receiver   "V <device> <seq> <q> <answer>"         a vote
from microbit import display, Image, uart, running_time, sleep
import radio

# Change GROUP (0-255) in BOTH programs so neighbouring classrooms do not mix.
GROUP = 7

radio.config(group=GROUP, length=64, queue=20, power=7)
radio.on()
uart.init(baudrate=115200)

announce = "C"          # the last OPEN/CLOSED, repeated so late voters learn it
last_announce = 0
pending = b""
votes = 0


def send_line(text):
    uart.write(text + "\n")


def from_laptop(line):
    global announce
    words = line.split()
    if len(words) < 2 or words[0] != "PJ1":
        return
    command = words[1]
    if command == "OPEN" and len(words) >= 5:
        # PJ1 OPEN <q> CHOICE <n> <abstain> | OPEN <q> PERCENT <min> <max> <step> <abstain>
        kind = words[3][0]  # C(hoice), S(cale), P(ercent), N(umber)
        rest = words[4:]
        if kind in "CS":
            rest = [rest[0], "0", "0", rest[1]]
        announce = "O " + words[2] + " " + kind + " " + " ".join(rest)
        radio.send(announce)
        display.show(words[2])
    elif command == "CLOSED":
        announce = "C"
        radio.send(announce)
        display.show(Image.ASLEEP)
    elif command == "ACK" and len(words) == 5:
        radio.send("A " + words[2] + " " + words[3] + " " + words[4])
    elif command == "PING" and len(words) == 3:
        send_line("PJ1 PONG " + words[2])


send_line("PJ1 HELLO mb receiver")
display.show(Image.ASLEEP)
while True:
    if uart.any():
        pending += uart.read() or b""
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            try:
                from_laptop(str(line, "utf-8").strip())
            except Exception:
                pass
        if len(pending) > 200:
            pending = b""
    message = radio.receive()
    while message:
        words = message.split()
        if len(words) == 5 and words[0] == "V":
            send_line("PJ1 VOTE " + " ".join(words[1:]))
            votes += 1
        message = radio.receive()
    if running_time() - last_announce > 2000:
        radio.send(announce)
        last_announce = running_time()
    sleep(5)
