# pejling voter: a pupil's micro:bit.
#
# When a question opens it shows the first answer. Answers are letters A, B, C ... for a
# choice, 1, 2, 3 ... for a scale, numbers in steps for a percent (0, 10, ... 100) or
# number question, and "-" for "won't say / don't know" (-1, -2 ... when a question
# offers several). Button A steps through them, button B sends. It sends again with a
# random pause until the receiver acknowledges, then shows a tick (counted) or a cross
# (the question is closed or the answer did not fit) -- or "?" when no acknowledgement
# came at all: the vote may or may not have been counted, press B to send it again.
#
# Nobody can see the answer afterwards: the tick (cross, "?") stays until the pupil
# presses a button. Then A starts again from the first answer, and B sends the same
# answer again. A press while no question is open is ignored.
#
# Votes are numbered so that the numbers only grow, also across a reset (the server
# ignores a vote numbered lower than one it already has from the device for the
# question): a small file "seq" in the micro:bit's flash counts the starts, and vote n
# after start s is s * 1000 + n. Flashing the program again erases the file.
#
# Flash with the micro:bit Python Editor (python.microbit.org) or `uflash voter.py`.
from microbit import display, Image, button_a, button_b, sleep, running_time
import machine
import radio
import random

# Change GROUP (0-255) in BOTH programs so neighbouring classrooms do not mix.
GROUP = 7
TRIES = 10

radio.config(group=GROUP, length=64, queue=10, power=7)
radio.on()

DEVICE = "".join("{:02x}".format(b) for b in machine.unique_id())[-8:]


def read_starts():
    try:
        with open("seq") as f:
            return int(f.read().strip())
    except Exception:   # no file yet: the first start after flashing
        return 0


def write_starts(n):
    with open("seq", "w") as f:
        f.write(str(n))


starts = read_starts() + 1
write_starts(starts)
votes = 0

question = None     # [number, kind, a, b, step, abstain] from "O <q> <kind> <a> <b> <c> <abstain>"
position = 0
hidden = False      # after a vote: the outcome is shown, not an answer
last_token = None   # what the last vote sent, for B after an outcome
changed = False     # the question opened or closed while listening


def next_seq():
    global starts, votes
    votes += 1
    if votes > 999:
        starts += 1
        write_starts(starts)
        votes = 1
    return starts * 1000 + votes


def values():
    # How many answers come before the abstain labels.
    kind, a, b, step = question[1], question[2], question[3], question[4]
    if kind == "C" or kind == "S":
        return a
    if b < a:
        return 0
    return (b - a) // step + 1


def entries():
    return values() + question[5]


def entry(i):
    # (token sent, label shown) of answer i
    n = values()
    if i >= n:
        if question[5] == 1:
            return "X0", "-"
        return "X" + str(i - n), "-" + str(i - n + 1)
    kind = question[1]
    if kind == "C":
        return str(i), chr(65 + i)
    if kind == "S":
        return str(i), str(i + 1)
    value = question[2] + i * question[4]
    return str(value), str(value)


def show_choice():
    if question is None:
        display.show(Image.ASLEEP)
        return
    if hidden:
        return
    label = entry(position)[1]
    if len(label) == 1:
        display.show(label)
    else:
        display.scroll(label, delay=60, wait=False)


def listen(wait_ms, want_seq):
    # Handles radio messages for up to wait_ms; returns the ACK status for want_seq, or
    # None. A question that opens or closes sets `changed`; the caller shows it.
    global question, position, hidden, changed
    until = running_time() + wait_ms
    while running_time() < until:
        try:
            message = radio.receive()
        except Exception:   # not text: another program in our group
            message = None
        if not message:
            sleep(10)
            continue
        words = message.split()
        if len(words) == 7 and words[0] == "O":
            try:
                opened = [int(words[1]), words[2], int(words[3]), int(words[4]),
                          max(int(words[5]), 1), int(words[6])]
            except ValueError:
                continue
            if question is None or question[0] != opened[0]:
                question = opened
                position = 0
                hidden = False
                changed = True
                # Presses made before the question opened are not meant for it.
                button_a.was_pressed()
                button_b.was_pressed()
        elif words and words[0] == "C":
            if question is not None:
                question = None
                hidden = False
                changed = True
        elif len(words) == 4 and words[0] == "A" and words[1] == DEVICE:
            if want_seq is not None and words[2] == str(want_seq):
                return words[3]
    return None


def vote():
    global hidden, last_token, changed
    if question is None:
        display.show(Image.NO)
        sleep(500)
        show_choice()
        return
    if hidden:
        token = last_token  # B again after the outcome: the same answer once more
    else:
        token = entry(position)[0]
    number = question[0]
    seq = next_seq()
    line = "V {} {} {} {}".format(DEVICE, seq, number, token)
    hidden = True           # from now on the display shows no answer
    last_token = token
    changed = False
    display.show(Image.ARROW_E)
    pause = 150
    status = None
    for _ in range(TRIES):
        radio.send(line)
        status = listen(pause + random.randint(0, pause), seq)
        if status is not None:
            break
        pause = min(pause * 2, 1000)
    if status == "OK" or status == "DUP":
        display.show(Image.YES)
    elif status is None:
        display.show("?")
    else:
        display.show(Image.NO)
    if changed:
        # Another question opened (or none is open): the outcome for a moment, then that.
        sleep(800)
        changed = False
        show_choice()


show_choice()
while True:
    listen(20, None)
    if changed:
        changed = False
        show_choice()
    # Both buttons are read every time, so a press while no question is open is dropped
    # instead of waiting for the next question.
    pressed_a = button_a.was_pressed()
    pressed_b = button_b.was_pressed()
    if pressed_a and question is not None and entries() > 0:
        if hidden:
            hidden = False
            position = 0
        else:
            position = (position + 1) % entries()
        show_choice()
    if pressed_b:
        vote()
