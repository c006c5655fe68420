#!/usr/bin/env python3
"""A classroom of emulated micro:bits for pejling's tests (stdlib only).

    python3 harness.py --receiver RECEIVER.py --voter VOTER.py [--seed N] [--loss 0.2]
                       [--log FILE]

It runs the real programs, unmodified, each in a process of its own (device.py) on the
emulated MicroPython modules in emu/, and plays everything around them:

- the air: every radio message reaches every other device of the same group, except
  that a share `--loss` of them is lost. Whether a copy is lost depends only on the
  seed, sender, receiver, the message and how often that sender already sent it to that
  receiver -- not on timing -- so a run can be repeated;
- the receiver's USB serial port: the master side of a pseudo-terminal (raw mode) whose
  path is the first line on stdout; the server under test opens the other side. Output
  written while nobody has the port open is dropped, as the micro:bit's interface chip
  does;
- the pupils: button presses, and watching the displays.

Control: one JSON object a line on stdin, `{"id": 1, "cmd": "vote", ...}`; each is
answered on stdout by `{"re": 1, ...}` (commands run concurrently). See `Harness.cmd_*`
for the commands. End of stdin ends everything.
"""

import argparse
import collections
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import tty

HERE = os.path.dirname(os.path.abspath(__file__))
DEVICE = os.path.join(HERE, "device.py")


class Device:
    def __init__(self, name, role, program, folder):
        self.name = name
        self.role = role
        self.program = program
        self.folder = folder
        self.boot = 0
        self.proc = None
        self.sock = None
        self.send_lock = threading.Lock()
        self.booted = False
        self.display = ("clear", "")
        self.history = []  # every display change, in order
        self.changed_at = time.monotonic()
        self.jammed = False
        # After a tick for a vote made with `vote`: (label, question) until the next
        # press, a reset, or the receiver announcing another question or none.
        self.watch = None
        self.pending_label = None
        self.last_vote = None  # (question, token) of the last vote it sent
        self.ticks = []  # (question, token) of every vote it showed a tick for
        self.crashes = []
        self.hammer = None


class Harness:
    def __init__(self, args):
        self.cv = threading.Condition()
        self.out_lock = threading.Lock()
        self.seed = args.seed
        self.loss = args.loss
        self.programs = {"receiver": args.receiver, "voter": args.voter}
        self.log_file = open(args.log, "a", buffering=1) if args.log else None
        self.t0 = time.monotonic()
        self.root = tempfile.mkdtemp(prefix="pejling-microbits-")
        master, slave = os.openpty()
        self.pty_path = os.ttyname(slave)
        tty.setraw(slave)
        os.close(slave)  # until the server opens it, nobody has the port open
        self.master = master
        self.devices = {}
        self.occurrences = collections.Counter()
        self.air_sent = 0
        self.air_lost = 0
        self.server_lines = []
        self.serial_out = []
        self.serial_overflow = 0
        self.receiver_sends = []
        self.violations = []
        self.radio_too_long = []
        self.queue_full = collections.Counter()

    # -- plumbing -------------------------------------------------------------------

    def log(self, text):
        if self.log_file:
            self.log_file.write("{:9.3f} {}\n".format(time.monotonic() - self.t0, text))

    def emit(self, obj):
        with self.out_lock:
            sys.stdout.write(json.dumps(obj) + "\n")
            sys.stdout.flush()

    def spawn(self, device):
        parent, child = socket.socketpair()
        command = [
            sys.executable,
            "-u",
            "-B",  # no __pycache__ in the source tree
            DEVICE,
            device.program,
            "--name",
            device.name,
            "--boot",
            str(device.boot),
            "--seed",
            str(self.seed),
            "--link",
            str(child.fileno()),
        ]
        fds = [child.fileno()]
        if device.role == "receiver":
            command += ["--serial", str(self.master)]
            fds.append(self.master)
        output = open(os.path.join(self.root, "{}.{}.out".format(device.name, device.boot)), "w")
        device.booted = False
        device.sock = parent
        device.proc = subprocess.Popen(
            command,
            cwd=device.folder,
            pass_fds=fds,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        output.close()
        child.close()
        threading.Thread(target=self.pump, args=(device, parent, device.boot), daemon=True).start()

    def pump(self, device, sock, boot):
        pending = b""
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if device.boot != boot:
                    return
                try:
                    self.handle(device, json.loads(line))
                except Exception:
                    self.log("{}: cannot handle {!r}: {}".format(device.name, line, traceback.format_exc()))

    def send(self, device, obj):
        data = (json.dumps(obj) + "\n").encode()
        with device.send_lock:
            try:
                device.sock.sendall(data)
            except (OSError, AttributeError):
                pass

    def handle(self, device, message):
        kind = message["t"]
        if kind == "radio":
            self.air(device, message)
            return
        with self.cv:
            if kind == "booted":
                device.booted = True
                self.log("{} booted ({}, boot {})".format(device.name, message["program"], device.boot))
            elif kind == "display":
                if "image" in message:
                    shown = ("image", message["image"])
                else:
                    shown = ("text", message["text"])
                if message["how"] == "clear":
                    shown = ("clear", "")
                device.display = shown
                device.history.append(shown)
                device.changed_at = time.monotonic()
                self.log("{} shows {} {}".format(device.name, message["how"], shown[1]))
                if shown == ("image", "YES") and device.role == "voter":
                    if device.last_vote is not None:
                        device.ticks.append(device.last_vote)
                    if device.pending_label is not None and device.last_vote is not None:
                        device.watch = (device.pending_label, device.last_vote[0])
                        device.pending_label = None
                if device.watch is not None and shown == ("text", device.watch[0]):
                    self.violations.append(
                        {"device": device.name, "label": device.watch[0], "question": device.watch[1]}
                    )
                    self.log("{} SHOWS ITS ANSWER {} after the tick".format(device.name, shown[1]))
            elif kind == "serial_in":
                self.server_lines.append(message["line"])
                self.log("serial <- {}".format(message["line"]))
            elif kind == "serial_out":
                self.serial_out.append((message["text"], message["dropped"]))
                self.log(
                    "serial -> {}{}".format(
                        message["text"].rstrip("\n"), " (dropped: port not open)" if message["dropped"] else ""
                    )
                )
            elif kind == "serial_overflow":
                self.serial_overflow += message["bytes"]
                self.log("serial receive buffer overflowed: {} bytes lost".format(message["bytes"]))
            elif kind == "crash":
                device.crashes.append(message["error"])
                self.log("{} CRASHED: {}".format(device.name, message["error"]))
            elif kind == "ended":
                device.crashes.append("the program ended")
            elif kind == "radio_too_long":
                self.radio_too_long.append(message["text"])
                self.log("{} sent a radio message longer than its length: {}".format(device.name, message["text"]))
            elif kind == "radio_queue_full":
                self.queue_full[device.name] += 1
            elif kind == "reset":
                threading.Thread(target=self.restart, args=(device,), daemon=True).start()
            else:
                self.log("{}: {}".format(device.name, message))
            self.cv.notify_all()

    def lost(self, sender, receiver, data, nth):
        key = "{}|{}|{}|{}|{}".format(self.seed, sender, receiver, data, nth)
        draw = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2.0**64
        return draw < self.loss

    def air(self, sender, message):
        raw = bytes.fromhex(message["data"])
        text = raw[3:].decode("utf-8", "replace") if raw[:3] == b"\x01\x00\x01" else raw.hex()
        deliveries = []
        with self.cv:
            words = text.split()
            if sender.role == "receiver":
                self.receiver_sends.append(text)
                if words and (words[0] == "C" or (words[0] == "O" and len(words) > 1)):
                    for device in self.devices.values():
                        if device.watch is not None and (words[0] == "C" or words[1] != str(device.watch[1])):
                            device.watch = None
            elif len(words) == 5 and words[0] == "V":
                sender.last_vote = (int(words[3]), words[4])
            got, missed = [], []
            for device in self.devices.values():
                if device is sender or device.proc is None:
                    continue
                key = (sender.name, device.name, message["data"])
                nth = self.occurrences[key]
                self.occurrences[key] += 1
                self.air_sent += 1
                if device.jammed or self.lost(sender.name, device.name, message["data"], nth):
                    self.air_lost += 1
                    missed.append(device.name)
                else:
                    got.append(device.name)
                    deliveries.append(device)
            self.log("{} radio {!r} -> {} (lost: {})".format(sender.name, text, ",".join(got), ",".join(missed)))
            self.cv.notify_all()
        for device in deliveries:
            self.send(device, message)

    def restart(self, device):
        with self.cv:
            proc = device.proc
            device.watch = None
            device.boot += 1
            device.booted = False
        if proc is not None:
            try:
                proc.send_signal(signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
        if device.sock is not None:
            device.sock.close()
        self.spawn(device)

    def wait(self, condition, timeout):
        """Waits (holding self.cv) until condition() is true; False on timeout."""
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.cv.wait(min(left, 0.05))
        return True

    def press(self, device, button):
        with self.cv:
            device.watch = None
        self.log("{}: button {} pressed".format(device.name, button.upper()))
        self.send(device, {"t": "press", "button": button})

    def settle(self, device, quiet, timeout):
        """Waits until the display has not changed for `quiet` seconds; returns it."""
        with self.cv:
            self.wait(lambda: time.monotonic() - device.changed_at >= quiet, timeout)
            return list(device.display)

    def port_open(self):
        import select

        poll = select.poll()
        poll.register(self.master, select.POLLIN)
        return not any(events & select.POLLHUP for _, events in poll.poll(0))

    # -- commands ---------------------------------------------------------------------

    def cmd_boot(self, devices):
        """Starts devices: [[name, "receiver" | "voter"], ...]; answers when all run."""
        started = []
        for name, role in devices:
            folder = os.path.join(self.root, name)
            os.makedirs(folder, exist_ok=True)
            device = Device(name, role, os.path.abspath(self.programs[role]), folder)
            with self.cv:
                self.devices[name] = device
            self.spawn(device)
            started.append(device)
        with self.cv:
            ok = self.wait(lambda: all(d.booted for d in started), 30)
        return {"ok": ok}

    def cmd_wait_port(self, open=True, timeout=20):
        """Waits until the server has the serial port open (or closed)."""
        deadline = time.monotonic() + timeout
        while self.port_open() != open:
            if time.monotonic() > deadline:
                return {"ok": False}
            time.sleep(0.02)
        return {"ok": True}

    def cmd_wait_serial_out(self, prefix, dropped=None, timeout=20):
        """Waits until the receiver has written a line starting with `prefix` (and, if
        `dropped` is given, one that was or was not dropped)."""
        with self.cv:
            ok = self.wait(
                lambda: any(
                    text.startswith(prefix) and (dropped is None or was == dropped) for text, was in self.serial_out
                ),
                timeout,
            )
        return {"ok": ok}

    def cmd_mark(self):
        """How many radio messages the receiver has sent and lines the server has
        written so far, for `since` below."""
        with self.cv:
            return {"mark": len(self.receiver_sends), "server_lines": len(self.server_lines)}

    def cmd_wait_server_lines(self, prefix, count, since=0, timeout=20):
        """Waits until the server has written `count` lines starting with `prefix` to
        the serial port after its `since`-th line (whether or not the receiver got them)."""

        def seen():
            return sum(1 for line in self.server_lines[since:] if line.startswith(prefix)) >= count

        with self.cv:
            ok = self.wait(seen, timeout)
        return {"ok": ok}

    def cmd_wait_announce(self, prefixes, since=0, timeout=20):
        """Waits until the receiver has sent radio messages starting with `prefixes`, in
        this order (others may come between), after its `since`-th message."""

        def seen():
            wanted = list(prefixes)
            for text in self.receiver_sends[since:]:
                if wanted and text.startswith(wanted[0]):
                    wanted.pop(0)
            return not wanted

        with self.cv:
            ok = self.wait(seen, timeout)
        return {"ok": ok}

    def cmd_wait_display(self, device, text=None, image=None, timeout=20):
        """Waits until a device's display shows `text` or `image`."""
        d = self.devices[device]
        want = ("text", text) if text is not None else ("image", image)
        with self.cv:
            ok = self.wait(lambda: d.display == want, timeout)
            return {"ok": ok, "display": list(d.display)}

    def cmd_wait_not(self, device, text=None, image=None, timeout=20):
        """Waits until a device's display shows something other than `text` or `image`."""
        d = self.devices[device]
        avoid = ("text", text) if text is not None else ("image", image)
        with self.cv:
            ok = self.wait(lambda: d.display != avoid, timeout)
            return {"ok": ok, "display": list(d.display)}

    def cmd_settle(self, device, quiet=0.4, timeout=20):
        return {"display": self.settle(self.devices[device], quiet, timeout)}

    def cmd_press(self, device, button):
        self.press(self.devices[device], button)
        return {}

    def cmd_jam(self, device, on):
        """While jammed, a device hears nothing (what it sends still goes out)."""
        with self.cv:
            self.devices[device].jammed = on
        self.log("{} {}".format(device, "jammed" if on else "hears again"))
        return {}

    def cmd_reset(self, device):
        """Switches a device off and on again (its files stay)."""
        d = self.devices[device]
        self.log("{}: reset".format(device))
        self.restart(d)
        with self.cv:
            ok = self.wait(lambda: d.booted, 30)
        return {"ok": ok}

    def next_display(self, device, index, timeout):
        """Waits for a display change after history[index]; returns it or None."""
        with self.cv:
            if not self.wait(lambda: len(device.history) > index, timeout):
                return None
            return device.history[index]

    def cmd_cycle(self, device, presses):
        """Presses A `presses` times and returns what the display shows after each."""
        d = self.devices[device]
        self.settle(d, 0.4, 10)
        labels = []
        for _ in range(presses):
            with self.cv:
                index = len(d.history)
            self.press(d, "a")
            if self.next_display(d, index, 5) is None:
                labels.append(None)
                continue
            labels.append(self.settle(d, 0.2, 5)[1])
        return {"labels": labels}

    def cmd_vote(self, device, label, jam=False, timeout=45):
        """What a pupil does: presses A until the display shows `label`, then B, and
        watches for the outcome: "tick", "cross", "unknown" (a "?"), "refused" (a cross
        without sending), "none" (nothing within the timeout) or "not_offered" (the
        label never came). `after`: the display once it has been still for a second."""
        d = self.devices[device]
        deadline = time.monotonic() + timeout
        seen = [self.settle(d, 0.4, 10)[1]]
        presses = 0
        while True:
            with self.cv:
                if d.display == ("text", label):
                    break
                index = len(d.history)
            if presses >= 40 or time.monotonic() > deadline:
                return {"outcome": "not_offered", "presses": presses, "seen": seen}
            self.press(d, "a")
            presses += 1
            # A voter that has no question shows nothing new: press again a little later
            # (the receiver repeats its announcement every few seconds).
            if self.next_display(d, index, 2.5) is not None:
                seen.append(self.settle(d, 0.15, 5)[1])
        with self.cv:
            d.pending_label = label
            index = len(d.history)
            if jam:
                d.jammed = True
        if jam:
            self.log("{} jammed".format(device))
        self.press(d, "b")
        with self.cv:
            d.pending_label = label  # the press cleared the watch, not this
        outcome = self.outcome(d, index, max(1.0, deadline - time.monotonic()))
        with self.cv:
            d.pending_label = None
        after = self.settle(d, 1.0, 10)
        return {"outcome": outcome, "presses": presses, "seen": seen, "after": after}

    def outcome(self, device, index, timeout):
        sending = False
        end = time.monotonic() + timeout
        while True:
            shown = self.next_display(device, index, max(0.0, end - time.monotonic()))
            if shown is None:
                return "none"
            index += 1
            if shown == ("image", "ARROW_E"):
                sending = True
            elif shown == ("image", "YES"):
                return "tick"
            elif shown == ("image", "NO"):
                return "cross" if sending else "refused"
            elif shown == ("text", "?"):
                return "unknown"

    def cmd_hammer(self, devices, on, every=0.2):
        """Presses B on these devices every `every` seconds until switched off."""
        for name in devices:
            d = self.devices[name]
            if on and d.hammer is None:
                stop = threading.Event()

                def run(d=d, stop=stop):
                    while not stop.is_set():
                        self.press(d, "b")
                        stop.wait(every)

                d.hammer = stop
                threading.Thread(target=run, daemon=True).start()
            elif not on and d.hammer is not None:
                d.hammer.set()
                d.hammer = None
        return {}

    def cmd_report(self):
        """Counts for the checks, once the acknowledgements in flight are through."""
        deadline = time.monotonic() + 3
        while True:
            with self.cv:
                acks_in = collections.Counter()
                for line in self.server_lines:
                    words = line.split()
                    if len(words) == 5 and words[:2] == ["PJ1", "ACK"]:
                        acks_in["A " + " ".join(words[2:])] += 1
                acks_out = collections.Counter(t for t in self.receiver_sends if t.startswith("A "))
                missing = acks_in - acks_out
                extra = acks_out - acks_in
                if (not missing and not extra) or time.monotonic() > deadline:
                    return {
                        "serial_overflow": self.serial_overflow,
                        "acks_from_server": sum(acks_in.values()),
                        "acks_not_relayed": sorted(missing.elements()),
                        "acks_relayed_not_from_server": sorted(extra.elements()),
                        "hellos": sum(1 for t, _ in self.serial_out if t.startswith("PJ1 HELLO")),
                        "serial_out_dropped": sum(1 for _, dropped in self.serial_out if dropped),
                        "violations": list(self.violations),
                        "crashes": {n: d.crashes for n, d in self.devices.items() if d.crashes},
                        "radio_too_long": list(self.radio_too_long),
                        "radio_queue_full": dict(self.queue_full),
                        "ticks": {n: d.ticks for n, d in self.devices.items() if d.role == "voter"},
                        "air": {"sent": self.air_sent, "lost": self.air_lost},
                    }
            time.sleep(0.1)

    def shutdown(self):
        for device in list(self.devices.values()):
            if device.hammer is not None:
                device.hammer.set()
            if device.proc is not None:
                try:
                    device.proc.send_signal(signal.SIGKILL)
                    device.proc.wait()
                except OSError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)

    def run_command(self, request):
        reply = {"re": request.get("id")}
        try:
            arguments = {k: v for k, v in request.items() if k not in ("id", "cmd")}
            self.log("command {} {}".format(request["cmd"], json.dumps(arguments)))
            reply.update(getattr(self, "cmd_" + request["cmd"])(**arguments))
        except Exception:
            reply["error"] = traceback.format_exc()
            self.log("command failed: {}".format(reply["error"]))
        self.emit(reply)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--receiver", required=True)
    parser.add_argument("--voter", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--loss", type=float, default=0.2)
    parser.add_argument("--log")
    args = parser.parse_args()
    harness = Harness(args)
    harness.emit({"ev": "pty", "path": harness.pty_path})
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            if request.get("cmd") == "quit":
                harness.emit({"re": request.get("id")})
                break
            threading.Thread(target=harness.run_command, args=(request,), daemon=True).start()
    finally:
        harness.shutdown()


if __name__ == "__main__":
    main()
