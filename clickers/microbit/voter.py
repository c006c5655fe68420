# pejling voter: a pupil's micro:bit.
#
# It shows the open question's answers -- letters A, B, C ... for a choice, 1, 2, 3 ...
# for a scale, numbers in steps for a percent (0, 10, ... 100) or number question, and
# "-" for "won't say / don't know" -- button A steps through them, button B sends. It
# sends again with a random pause until the receiver acknowledges, then shows a tick
# (counted) or a cross (the question is closed or the answer did not fit). Nobody can
# see the answer afterwards: the display goes back to the question number.
#
# Flash with the micro:bit Python Editor (python.microbit.org) or `uflash voter.py`.
from microbit import display, Image, button_a, button_b, sleep, running_time
import machine
import radio
import random

# Change GROUP (0-255) in BOTH programs so neighbouring classrooms do not mix.
GROUP = 7
TRIES = 8

radio.config(group=GROUP, length=64, queue=10, power=7)
radio.on()

DEVICE = "".join("{:02x}".format(b) for b in machine.unique_id())[-8:]
seq = random.randint(1, 1000000)   # a fresh start after a reboot is never a duplicate
question = None                    # (number, choices as tokens, labels)
position = 0


def choices_of(words):
    # words: O <q> <kind> <a> <b> <c> <abstain>
    kind = words[2]
    a, b, c, abstain = int(words[3]), int(words[4]), int(words[5]), int(words[6])
    tokens, labels = [], []
    if kind == "C":
        for i in range(a):
            tokens.append(str(i))
            labels.append(chr(65 + i))
    elif kind == "S":
        for i in range(a):
            tokens.append(str(i))
            labels.append(str(i + 1))
    else:
        value = a
        while value <= b:
            tokens.append(str(value))
            labels.append(str(value))
            value += max(c, 1)
    for i in range(abstain):
        tokens.append("X" + str(i))
        labels.append("-")
    return int(words[1]), tokens, labels


def show_choice():
    if question is None:
        display.show(Image.ASLEEP)
        return
    label = question[2][position]
    if len(label) == 1:
        display.show(label)
    else:
        display.scroll(label, delay=60, wait=False)


def listen(wait_ms, want_seq):
    # Handles radio messages for up to wait_ms; returns an ACK status for want_seq.
    global question, position
    until = running_time() + wait_ms
    while running_time() < until:
        message = radio.receive()
        if not message:
            sleep(10)
            continue
        words = message.split()
        if words[0] == "O" and len(words) == 7:
            number = int(words[1])
            if question is None or question[0] != number:
                question = choices_of(words)
                position = 0
                show_choice()
        elif words[0] == "C":
            if question is not None:
                question = None
                show_choice()
        elif words[0] == "A" and len(words) == 4 and words[1] == DEVICE:
            if want_seq is not None and int(words[2]) == want_seq:
                return words[3]
    return None


def vote():
    global seq
    if question is None:
        display.show(Image.NO)
        sleep(500)
        show_choice()
        return
    seq += 1
    line = "V {} {} {} {}".format(DEVICE, seq, question[0], question[1][position])
    display.show(Image.ARROW_E)
    pause = 150
    for _ in range(TRIES):
        radio.send(line)
        status = listen(pause + random.randint(0, pause), seq)
        if status is not None:
            display.show(Image.YES if status in ("OK", "DUP") else Image.NO)
            sleep(800)
            show_choice()
            return
        pause = min(pause * 2, 1200)
    display.show(Image.NO)
    sleep(800)
    show_choice()


show_choice()
while True:
    listen(50, None)
    if question is not None and button_a.was_pressed():
        position = (position + 1) % len(question[1])
        show_choice()
    if button_b.was_pressed():
        vote()
